import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TokenCounter } from '../../core/tokens/counter.js';
import { countPieces } from '../../core/tokens/pieces.js';

const counters = [new TokenCounter({ model: 'gpt-4o' }), new TokenCounter({ model: 'gpt-4' }), new TokenCounter({ model: 'gpt-4o', backend: 'js-tiktoken' })];
// Text that stresses pre-token boundaries: punctuation and slashes before newlines, runs of spaces and newlines, digits, contractions, non-Latin scripts.
const fragment = fc.constantFrom('word', ' ', '  ', '\n', '\n\n', '.', '!?', '/', '-', '#', '[', ']', '123', "'s", '東京', '👋', '\t', 'Ünïcode', '\r\n', '$12.50');
const text = fc.array(fragment, { maxLength: 12 }).map((parts) => parts.join(''));
const lead = fc.constantFrom('# ', '## ', '- ', '[', '#', '-');

describe('counting a rendered text piece by piece', () => {
  it('gives the exact count of the joined text when each piece starts with #, - or [ after a newline (property)', () => {
    fc.assert(
      fc.property(text, fc.array(fc.tuple(lead, text), { maxLength: 6 }), (first, rest) => {
        const pieces = [first, ...rest.map(([start, body]) => `${start}${body}`)].map((piece, i, all) => (i < all.length - 1 ? `${piece}\n` : piece));
        for (const counter of counters) expect(countPieces(counter, pieces)).toBe(counter.tokenizer.count(pieces.join('')));
      }),
      { numRuns: 100 },
    );
  });

  it('count() of a long text counted line by line equals the encoder\'s count of the whole text (property)', () => {
    fc.assert(
      fc.property(text, fc.array(fc.tuple(lead, text, text), { minLength: 1, maxLength: 12 }), (first, rest) => {
        // Long enough to be counted line by line; each line's middle may hold newlines of its own.
        const whole = [first, ...rest.map(([start, body, tail]) => `${start}${body}${' '.repeat(20)}${tail}`)].join('\n').padEnd(220, '.');
        for (const counter of [new TokenCounter({ model: 'gpt-4o' }), new TokenCounter({ model: 'gpt-4' }), new TokenCounter({ model: 'gpt-4o', backend: 'js-tiktoken' })]) {
          expect(counter.count(whole)).toBe(counter.tokenizer.count(whole));
          // Again with the lines already in the cache.
          expect(counter.count(`${whole}\n- again`)).toBe(counter.tokenizer.count(`${whole}\n- again`));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('count() of a rendered memory list reuses the counts of lines seen before: only the new line is encoded', () => {
    const counter = new TokenCounter({ model: 'gpt-4o' });
    const lines = Array.from({ length: 20 }, (_, i) => `- memory ${i}: the customer asked about order ORD-${1000 + i} and its refund`);
    counter.count(['## Memories', ...lines].join('\n'));
    let encoded = 0;
    const count = counter.tokenizer.count;
    (counter.tokenizer as { count: (text: string) => number }).count = (text: string) => {
      encoded += text.length;
      return count(text);
    };
    const next = ['## Memories', ...lines.slice(1), '- memory 20: a new line'].join('\n');
    try {
      expect(counter.count(next)).toBe(count(next));
    } finally {
      (counter.tokenizer as { count: (text: string) => number }).count = count;
    }
    // The new text is not encoded whole: only its last line is (the others' counts are cached).
    expect(encoded).toBeLessThan(next.length / 4);
  });

  it('counts pieces that do not join at such a boundary as one text', () => {
    const counter = counters[0]!;
    // "hello" + "world" is one word: counted apart it would be two tokens or more.
    expect(countPieces(counter, ['hello', 'world'])).toBe(counter.count('helloworld'));
    expect(countPieces(counter, ['end.\n', '/path'])).toBe(counter.count('end.\n/path'));
  });
});
