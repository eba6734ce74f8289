import { describe, expect, it } from 'vitest';
import { TfidfVectorizer, words } from '../../../core/routing/tfidf.js';

const texts = ['Where is my order?', 'My order has not arrived', 'Cancel my order please', 'Why was I charged twice?'];
const norm = (values: Float64Array) => Math.sqrt(values.reduce((sum, v) => sum + v * v, 0));

describe('TfidfVectorizer', () => {
  it('lower-cases words and keeps apostrophes inside them', () => {
    expect(words("Don't CHARGE me twice!")).toEqual(["don't", 'charge', 'me', 'twice']);
  });

  it('gives every text a unit-length vector', () => {
    const vectorizer = TfidfVectorizer.fit(texts);
    for (const text of texts) expect(norm(vectorizer.transform(text).values)).toBeCloseTo(1, 12);
  });

  it('gives a text without known terms an empty vector', () => {
    const vectorizer = TfidfVectorizer.fit(texts, { charNgrams: null });
    expect(vectorizer.transform('zzz qqq').indices).toHaveLength(0);
  });

  it('keeps only terms seen in at least minDf texts', () => {
    const strict = TfidfVectorizer.fit(texts, { wordNgrams: [1, 1], charNgrams: null, minDf: 2 });
    expect(strict.toState().terms).toEqual(['w:my', 'w:order']);
    expect(TfidfVectorizer.fit(texts, { wordNgrams: [1, 1], charNgrams: null, minDf: 1 }).dimension).toBeGreaterThan(10);
  });

  it('weighs rare terms above common ones', () => {
    const vectorizer = TfidfVectorizer.fit(texts, { wordNgrams: [1, 1], charNgrams: null, minDf: 1 });
    const { terms, idf } = vectorizer.toState();
    expect(idf[terms.indexOf('w:twice')]!).toBeGreaterThan(idf[terms.indexOf('w:order')]!);
  });

  it('transforms identically after a round trip through its saved state', () => {
    const vectorizer = TfidfVectorizer.fit(texts);
    const restored = TfidfVectorizer.fromState(JSON.parse(JSON.stringify(vectorizer.toState())));
    expect(restored.transform('my order was charged')).toEqual(vectorizer.transform('my order was charged'));
  });
});
