import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getTokenizer } from '../../core/index.js';
import type { EncodingName } from '../../core/tokens/encodings.js';
import { heapBpe, longestRun, LONG_RUN_CHARS } from '../../core/tokens/long-pieces.js';

// The libraries as published, without ctxbench's routing: the reference the heap merge must equal.
const require = createRequire(import.meta.url);
interface Library {
  encode(text: string, options?: { disallowedSpecial?: Set<string> }): number[];
}
const PLAIN = { disallowedSpecial: new Set<string>() };
const published = (encoding: EncodingName) => require(`gpt-tokenizer/cjs/encoding/${encoding}`) as Library;

/**
 * Texts made of runs: short and long, of letters in both cases, digits, punctuation, spaces,
 * newlines, apostrophes, accents, CJK and emoji. Not U+FEFF: gpt-tokenizer loses its tokens (see
 * tokenizer.ts), so it is compared with js-tiktoken below.
 */
const runs = (maxRun: number) =>
  fc
    .array(fc.tuple(fc.constantFrom('x', 'ab', 'Zz', 'aB', '7', '!', '=-', ' ', '\n', '\r\n', "'s", 'é', '東京', '🙂', 'q ', '\u00a0'), fc.integer({ min: 1, max: maxRun })), { minLength: 1, maxLength: 6 })
    .map((parts) => parts.map(([unit, times]) => unit.repeat(times)).join(''));

describe('heap BPE merge', () => {
  it.each(['o200k_base', 'cl100k_base'] as const)('gives the ids the published library gives, on texts of long and short runs (%s)', (encoding) => {
    const library = published(encoding);
    fc.assert(
      fc.property(runs(700), (text) => {
        expect(heapBpe(encoding).encode(text)).toEqual(library.encode(text, PLAIN));
      }),
      { numRuns: 60 },
    );
  });

  it('gives js-tiktoken\'s ids too, on a mixed text with a 3,000-character run', () => {
    const text = `Booking ZFA04Y on 2024-05-24: ${'aGVsbG8'.repeat(430)}==\n\n  東京 🙂 it's done.`;
    expect(heapBpe('o200k_base').encode(text)).toEqual(getTokenizer('o200k_base', 'js-tiktoken').encode(text));
    expect(heapBpe('cl100k_base').encode(text)).toEqual(getTokenizer('cl100k_base', 'js-tiktoken').encode(text));
  });

  it('round-trips a 200,000-character run: the ids decode to the text', () => {
    const text = `${'x'.repeat(100_000)} ${'Ab'.repeat(50_000)}`;
    const ids = heapBpe('o200k_base').encode(text);
    expect(getTokenizer('o200k_base').decode(ids)).toBe(text);
    expect(getTokenizer('o200k_base').count(text)).toBe(ids.length);
  });
});

describe('routing long runs to the heap merge', () => {
  it('counts and encodes exactly on either side of the threshold', () => {
    const tokenizer = getTokenizer('o200k_base');
    const library = published('o200k_base');
    for (const length of [LONG_RUN_CHARS - 1, LONG_RUN_CHARS, LONG_RUN_CHARS + 1, 20_000]) {
      for (const text of ['x'.repeat(length), `Hi there. ${'-'.repeat(length)}\n`, `${' '.repeat(length)}word`]) {
        const expected = library.encode(text, PLAIN);
        expect(tokenizer.encode(text)).toEqual(expected);
        expect(tokenizer.count(text)).toBe(expected.length);
      }
    }
  });

  it("keeps tiktoken's ids for U+FEFF in a text with a long run (the library alone loses them)", () => {
    const text = `\uFEFF${'x'.repeat(LONG_RUN_CHARS)}`;
    expect(getTokenizer('o200k_base').encode(text)).toEqual(getTokenizer('o200k_base', 'js-tiktoken').encode(text));
  });

  it('measures the longest run that could be one pre-token: whitespace, letters or punctuation, other non-ASCII joining either; digits never run', () => {
    expect(longestRun('')).toBe(0);
    expect(longestRun('ab  cde f')).toBe(3);
    expect(longestRun('a \u00a0\u3000\u2028b')).toBe(4);
    expect(longestRun('東京🙂')).toBe(4); // UTF-16 code units, all counted as letters
    expect(longestRun('abc!!!!de')).toBe(4);
    expect(longestRun('1234567')).toBe(0);
    // One punctuation pre-token of ASCII and non-ASCII symbols: a single run.
    expect(longestRun('!—!—!—')).toBe(6);
    // "=" then "/\n" repeated is one o200k_base pre-token (a reviewer's 80,000-character case took 4 s in the library).
    expect(longestRun(`=${'/\n'.repeat(600)}`)).toBeGreaterThanOrEqual(1_200);
  });

  it.each(['o200k_base', 'cl100k_base'] as const)('bounds every pre-token by the longest run, so a text without a long run has no long pre-token (%s)', (encoding) => {
    const { pat_str } = require(`js-tiktoken/ranks/${encoding}`) as { pat_str: string };
    // Multi-character units too: o200k_base's punctuation pre-token runs on through any mix of "\r", "\n" and "/".
    const unit = fc.constantFrom('a', 'Z', 'é', '東', '🙂', '—', '!', '/', '7', ' ', '\n', '\r', '\t', '\u00a0', "'", "'s", '\u0301', '١', '/\n', '\r\n/', ' \n');
    fc.assert(
      fc.property(fc.array(fc.tuple(unit, fc.integer({ min: 1, max: 40 })), { maxLength: 12 }), (parts) => {
        const text = parts.map(([u, times]) => u.repeat(times)).join('');
        const longest = Math.max(0, ...[...text.matchAll(new RegExp(pat_str, 'gu'))].map(([piece]) => piece.length));
        // A leading character, a run, and a contraction ("'ll") or a run of newlines; digits go three at a time.
        expect(longest).toBeLessThanOrEqual(Math.max(3, 2 * longestRun(text) + 3));
      }),
      { numRuns: 500 },
    );
  });

  it('leaves a base64 blob to the library: its digits and symbols cut every run', () => {
    const blob = Buffer.from(Array.from({ length: 30_000 }, (_, i) => (i * 7919) % 256)).toString('base64');
    expect(longestRun(blob)).toBeLessThan(LONG_RUN_CHARS);
    expect(getTokenizer('o200k_base').encode(blob)).toEqual(published('o200k_base').encode(blob, PLAIN));
  });
});
