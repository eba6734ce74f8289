import { describe, expect, it } from 'vitest';
import { ConfigError, InputError } from '../../../core/errors.js';
import { assertSameEmbedder, cosine, EmbedderMismatchError, HashingEmbedder, identityOf } from '../../../core/memory/embedding.js';

const norm = (vector: Float32Array) => Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));

describe('HashingEmbedder', () => {
  const embedder = new HashingEmbedder();

  it('returns unit-length float32 vectors of 1024 dimensions by default', async () => {
    const [vector] = await embedder.embed(['I would like to change my flight to Seattle.']);
    expect(vector).toBeInstanceOf(Float32Array);
    expect(vector).toHaveLength(1024);
    expect(norm(vector!)).toBeCloseTo(1, 5);
  });

  it('gives the same vector for the same text in any instance', () => {
    const text = 'Caroline went to the LGBTQ support group on 7 May.';
    expect(new HashingEmbedder().embedText(text)).toEqual(embedder.embedText(text));
  });

  it('embeds a text without words as all zeros, not NaN', () => {
    expect(embedder.embedText('  ?! ').every((value) => value === 0)).toBe(true);
  });

  it('ranks a related text above an unrelated one', () => {
    const query = embedder.embedText('my flight was cancelled');
    expect(cosine(query, embedder.embedText('the airline cancelled the flight'))).toBeGreaterThan(cosine(query, embedder.embedText('I love painting sunsets')));
  });

  it('matches inflected words through character n-grams', () => {
    const words = new HashingEmbedder({ charNgrams: null });
    const [painting, painted] = ['painting sunsets', 'she painted a sunset'];
    expect(cosine(embedder.embedText(painting), embedder.embedText(painted))).toBeGreaterThan(0.3);
    expect(cosine(words.embedText(painting), words.embedText(painted))).toBe(0);
  });

  it('names its configuration in its id', () => {
    expect(embedder.id).toBe('hashing-tfidf-v1:1024:w1-2:c3-5');
    expect(new HashingEmbedder({ dimension: 256, wordNgrams: [1, 1], charNgrams: null }).id).toBe('hashing-tfidf-v1:256:w1-1:cnone');
  });

  it('down-weights words common in the fitted corpus, and names the fit in its id', () => {
    const corpus = [...Array.from({ length: 20 }, (_, i) => `account number ${i} was updated`), 'refund request for order 7', 'refund status'];
    const fitted = new HashingEmbedder().fit(corpus);
    const rank = (model: HashingEmbedder) => {
      const query = model.embedText('account refund');
      return cosine(query, model.embedText('refund issued')) - cosine(query, model.embedText('account account'));
    };
    expect(rank(embedder)).toBeLessThan(0);
    expect(rank(fitted)).toBeGreaterThan(0);
    expect(fitted.id).toMatch(/^hashing-tfidf-v1:1024:w1-2:c3-5:idf-[0-9a-f]{12}$/);
  });

  it('restores a fitted state exactly, through JSON', () => {
    const fitted = new HashingEmbedder({ dimension: 512 }).fit(['the refund was issued', 'the refund is late', 'a new flight']);
    const restored = HashingEmbedder.fromState(JSON.parse(JSON.stringify(fitted.state())));
    expect(restored.id).toBe(fitted.id);
    expect(restored.embedText('where is my refund')).toEqual(fitted.embedText('where is my refund'));
  });

  it('rejects a malformed state with a ConfigError naming the key', () => {
    const state = new HashingEmbedder().state();
    expect(() => HashingEmbedder.fromState({ ...state, options: { ...state.options, dimension: 0 } })).toThrow(/options\.dimension/);
    expect(() => HashingEmbedder.fromState({ ...state, features: 'AAAA', frequencies: '' })).toThrow(ConfigError);
    expect(() => HashingEmbedder.fromState({ ...state, features: 'AAA' })).toThrow(/uint32/);
  });

  it('rejects invalid options with a ConfigError naming the key', () => {
    expect(() => new HashingEmbedder({ dimension: 1.5 })).toThrow(/option dimension/);
    expect(() => new HashingEmbedder({ charNgrams: [5, 3] })).toThrow(/charNgrams/);
    expect(() => new HashingEmbedder({ wordNgrams: null, charNgrams: null })).toThrow(ConfigError);
  });
});

describe('cosine', () => {
  it('is 1 for parallel vectors and -1 for opposite ones', () => {
    expect(cosine(Float32Array.of(1, 2), Float32Array.of(2, 4))).toBeCloseTo(1, 6);
    expect(cosine(Float32Array.of(1, 2), Float32Array.of(-1, -2))).toBeCloseTo(-1, 6);
  });

  it('is 0 when either vector is all zeros', () => {
    expect(cosine(Float32Array.of(0, 0), Float32Array.of(1, 2))).toBe(0);
  });

  it('refuses vectors of different lengths', () => {
    expect(() => cosine(Float32Array.of(1), Float32Array.of(1, 2))).toThrow(InputError);
  });
});

describe('assertSameEmbedder', () => {
  const hashing = identityOf(new HashingEmbedder());

  it('accepts the same embedder', () => {
    expect(() => assertSameEmbedder(hashing, { ...hashing }, 'store')).not.toThrow();
  });

  it('refuses another embedder or dimension, naming both and the place', () => {
    expect(() => assertSameEmbedder(hashing, { embedderId: 'openai:text-embedding-3-small', dimension: 1536 }, 'store /tmp/x')).toThrow(EmbedderMismatchError);
    expect(() => assertSameEmbedder(hashing, { ...hashing, dimension: 512 }, 'store /tmp/x')).toThrow(/store \/tmp\/x.*512-d/);
  });
});
