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
        for (const counter of counters) expect(countPieces(counter, pieces)).toBe(counter.count(pieces.join('')));
      }),
      { numRuns: 100 },
    );
  });

  it('counts pieces that do not join at such a boundary as one text', () => {
    const counter = counters[0]!;
    // "hello" + "world" is one word: counted apart it would be two tokens or more.
    expect(countPieces(counter, ['hello', 'world'])).toBe(counter.count('helloworld'));
    expect(countPieces(counter, ['end.\n', '/path'])).toBe(counter.count('end.\n/path'));
  });
});
