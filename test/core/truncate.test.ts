import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExtractiveCompressor, graphemes, InputError, smartTruncate, splitSentences, TokenCounter, tokenExactCut, findEntities } from '../../core/index.js';

const counter = new TokenCounter({ model: 'gpt-4o' });

const filler = (n: number) => Array.from({ length: n }, (_, i) => `This is ordinary filler sentence number ${'one two three four five six seven eight nine ten'.split(' ')[i % 10]}.`).join(' ');

describe('smart truncation', () => {
  it('returns text that fits unchanged', () => {
    expect(smartTruncate('Short text.', 100, counter)).toEqual({ text: 'Short text.', tokens: counter.count('Short text.'), cutTokens: 0 });
  });

  it('cuts at sentence boundaries', () => {
    const text = filler(20);
    const result = smartTruncate(text, 40, counter, 'start');
    const sentences = new Set(splitSentences(text).map((s) => s.trim()));
    for (const kept of splitSentences(result.text)) expect(sentences.has(kept.trim())).toBe(true);
    expect(result.tokens).toBeLessThanOrEqual(40);
    expect(result.cutTokens).toBe(counter.count(text) - result.tokens);
  });

  it('keeps the beginning of a document', () => {
    const text = `First sentence opens the document. ${filler(30)} Last sentence closes it.`;
    const result = smartTruncate(text, 30, counter, 'start');
    expect(result.text.startsWith('First sentence opens the document.')).toBe(true);
    expect(result.text).not.toContain('Last sentence');
  });

  it('keeps the most recent content of a conversation', () => {
    const text = `user: the very first message. ${filler(30)} user: the latest message.`;
    const result = smartTruncate(text, 30, counter, 'end');
    expect(result.text.trimEnd().endsWith('user: the latest message.')).toBe(true);
    expect(result.text).not.toContain('very first message');
  });

  it('prefers sentences that carry key entities', () => {
    const text = `${filler(10)} My reservation is ZFA04Y and my email is mia.li@example.com. ${filler(10)}`;
    const result = smartTruncate(text, 40, counter, 'start');
    expect(result.text).toContain('ZFA04Y');
    expect(result.text).toContain('mia.li@example.com');
  });

  it('falls back to a token-exact cut when no sentence fits', () => {
    const text = 'word '.repeat(500);
    const result = smartTruncate(text, 50, counter, 'start');
    expect(result.tokens).toBeLessThanOrEqual(50);
    expect(result.tokens).toBeGreaterThanOrEqual(45);
    expect(text.startsWith(result.text)).toBe(true);
  });

  it('cuts from the end token-exactly for conversations', () => {
    const text = 'word '.repeat(500) + 'FINAL';
    const result = tokenExactCut(text, 20, counter, 'end');
    expect(result.text.endsWith('FINAL')).toBe(true);
    expect(result.tokens).toBeLessThanOrEqual(20);
  });

  it('never splits an emoji or a combining mark', () => {
    const text = '👩‍👩‍👧‍👦e\u0301'.repeat(200);
    for (const keep of ['start', 'end'] as const) {
      const result = tokenExactCut(text, 37, counter, keep);
      expect(graphemes(result.text).every((g) => g === '👩‍👩‍👧‍👦' || g === 'e\u0301')).toBe(true);
      expect(result.tokens).toBeLessThanOrEqual(37);
    }
  });

  it('returns nothing for a zero target', () => {
    expect(smartTruncate('Some text.', 0, counter).text).toBe('');
    expect(tokenExactCut('Some text.', 0, counter, 'end').text).toBe('');
  });

  it('never exceeds the target and never splits a grapheme (property)', () => {
    const unicodeText = fc.array(
      fc.oneof(
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        fc.constantFrom('. ', '! ', '\n', '👩‍👩‍👧‍👦', 'e\u0301', 'ZFA04Y ', '$12.50 ', '東京。', ' '),
      ),
      { maxLength: 60 },
    ).map((parts) => parts.join(''));
    fc.assert(
      fc.property(unicodeText, fc.integer({ min: 0, max: 120 }), fc.constantFrom('start' as const, 'end' as const), (text, target, keep) => {
        const result = smartTruncate(text, target, counter, keep);
        expect(result.tokens).toBeLessThanOrEqual(target);
        expect(counter.count(result.text)).toBe(result.tokens);
        const original = new Set(graphemes(text));
        for (const g of graphemes(result.text)) expect(original.has(g)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('extractive compressor', () => {
  const compressor = new ExtractiveCompressor();

  it('keeps entity-bearing sentences within the target', () => {
    const text = `${filler(15)} The refund of $45.00 for order #88231 was issued on 2024-03-02. ${filler(15)}`;
    const compressed = compressor.compress(text, 40, { counter, keep: 'start' });
    expect(counter.count(compressed)).toBeLessThanOrEqual(40);
    expect(compressed).toContain('#88231');
  });

  it('returns text that already fits unchanged', () => {
    expect(compressor.compress('Fits.', 10, { counter, keep: 'end' })).toBe('Fits.');
  });

  it('returns nothing for a zero target and cuts one long sentence exactly', () => {
    expect(compressor.compress('Some text here.', 0, { counter, keep: 'end' })).toBe('');
    const long = 'word '.repeat(300);
    expect(counter.count(compressor.compress(long, 25, { counter, keep: 'end' }))).toBeLessThanOrEqual(25);
  });

  it('keeps whole sentences only when asked: nothing rather than a cut when none fits', () => {
    const text = 'The refund of $45.00 for order #88231 was issued on 2024-03-02. Thanks.';
    expect(compressor.compress(text, 4, { counter, keep: 'end', wholeSentences: true })).toBe('Thanks.');
    expect(compressor.compress('The refund of $45.00 for order #88231 was issued on 2024-03-02.', 4, { counter, keep: 'end', wholeSentences: true })).toBe('');
    expect(compressor.compress('The refund of $45.00 for order #88231 was issued on 2024-03-02.', 4, { counter, keep: 'end' })).not.toBe('');
  });
});

describe('key entities', () => {
  it('finds ids, emails, phones, amounts and dates', () => {
    const kinds = findEntities('Call +1 415-555-0100 or mail a@b.io about order #12345 (ORD-77) of $9.99 due Jan 15, 2024; user mia_li_3668 booked ZFA04Y.').map((e) => e.kind);
    expect(new Set(kinds)).toEqual(new Set(['phone', 'email', 'identifier', 'amount', 'date']));
  });
});

describe('sentence splitting', () => {
  it('splits long text exactly as the segmenter does on the whole text, losing nothing', () => {
    const paragraph = 'Dr. Smith paid $12.50 for order #123. Was it late? Yes! The e.g. case is tricky… 東京。 ';
    const text = paragraph.repeat(300);
    const whole = Array.from(new Intl.Segmenter('en', { granularity: 'sentence' }).segment(text), (s) => s.segment);
    const split = splitSentences(text);
    expect(split.join('')).toBe(text);
    expect(split).toEqual(whole);
  });
});

describe('truncation refuses a target or an end it cannot honour', () => {
  it('refuses a NaN or negative target and an unknown end, instead of cutting everything or keeping the end', () => {
    const [smart, exact, Refused] = [smartTruncate, tokenExactCut, InputError];
    expect(() => smart('One. Two. Three.', Number.NaN, counter)).toThrow(Refused);
    expect(() => smart('One. Two. Three.', Number.NaN, counter)).toThrow(/targetTokens = NaN must be a number of tokens, 0 or more/);
    expect(() => exact('One. Two. Three.', -1, counter)).toThrow(/targetTokens = -1/);
    expect(() => smart('One. Two. Three.', 2, counter, 'middle' as 'start')).toThrow(/keep = "middle" must be 'start' or 'end'/);
    expect(smart('One. Two. Three.', Infinity, counter).text).toBe('One. Two. Three.');
  });
});
