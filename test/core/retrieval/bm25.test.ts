import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Bm25Index } from '../../../core/retrieval/bm25.js';
import MiniSearch from 'minisearch';
import type { LexicalDocument, LexicalHit } from '../../../core/retrieval/lexical.js';

/** The reference the index must rank like: minisearch, as ctxbench's lexical search used it before. */
function minisearchSearch(documents: readonly LexicalDocument[], q: string, k: number): LexicalHit[] {
  const index = new MiniSearch<LexicalDocument>({
    fields: ['text'],
    storeFields: [],
    searchOptions: { fuzzy: 0.15, prefix: (term, i, terms) => i === terms.length - 1 && term.length > 3, combineWith: 'OR' },
  });
  index.addAll(documents);
  return index
    .search(q)
    .map((hit) => ({ id: String(hit.id), score: hit.score }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, k);
}

// Short words over a small alphabet, so prefixes, typos (edit distance 1 from 4 letters on) and
// repeated words are common; a few real words with an apostrophe, which splits like punctuation.
const word = fc.oneof(fc.stringMatching(/^[abcd]{1,7}$/), fc.constantFrom('paint', 'painting', 'paints', 'pain', 'saint', "don't", 'flight', 'fights'));
const text = fc.array(word, { maxLength: 10 }).map((words) => words.join(' '));
const query = fc.array(word, { minLength: 1, maxLength: 4 }).map((words) => words.join(' '));
const collection = fc.array(text, { minLength: 1, maxLength: 25 }).map((texts) => texts.map((t, i): LexicalDocument => ({ id: `d${i}`, text: t })));

const tokens = (t: string) => t.toLowerCase().split(/[\n\r\p{Z}\p{P}]+/u);

function levenshtein(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/** BM25+ (k1 1.2, b 0.7, delta 0.5) scored document by document, word by word: the definition, without an index. */
function bruteForce(documents: readonly LexicalDocument[], q: string, k: number): LexicalHit[] {
  const docs = documents.map(({ id, text: t }) => {
    const all = tokens(t);
    const counts = new Map<string, number>();
    for (const term of all) if (term) counts.set(term, (counts.get(term) ?? 0) + 1);
    return { id, counts, length: new Set(all).size };
  });
  const average = docs.reduce((sum, d) => sum + d.length, 0) / docs.length;
  const df = (term: string) => docs.filter((d) => d.counts.has(term)).length;
  const words = tokens(q).filter(Boolean);
  const hits = docs.map((doc) => {
    let total = 0;
    const matched = new Set<string>();
    words.forEach((w, i) => {
      const prefix = i === words.length - 1 && w.length > 3;
      const maxEdits = Math.min(6, Math.round(w.length * 0.15));
      for (const [term, tf] of doc.counts) {
        const edits = levenshtein(term, w);
        const weight =
          term === w ? 1 : prefix && term.startsWith(w) ? (0.375 * term.length) / (term.length + 0.3 * (term.length - w.length)) : edits <= maxEdits ? (0.45 * term.length) / (term.length + edits) : 0;
        if (weight === 0) continue;
        const n = df(term);
        const idf = Math.log(1 + (docs.length - n + 0.5) / (n + 0.5));
        total += weight * idf * (0.5 + (tf * 2.2) / (tf + 1.2 * (0.3 + (0.7 * doc.length) / average)));
        matched.add(w);
      }
    });
    return { id: doc.id, score: total * matched.size };
  });
  return hits
    .filter((hit) => hit.score > 0)
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
    .slice(0, k);
}

/**
 * The same ranking up to floating-point near-ties: the same scores position by position (within
 * 1e-9), and each id with the score the reference gives it. Summing the same terms in another
 * order can split an exact tie by the last bit (0.36696405326445625 against ...563), which then
 * orders the two ids the other way; a hit may only trade places with one that scores the same.
 */
function expectSameRanking(actual: readonly LexicalHit[], expected: readonly LexicalHit[]): void {
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
  expect(actual).toHaveLength(expected.length);
  const reference = new Map(expected.map((hit) => [hit.id, hit.score]));
  actual.forEach((hit, i) => {
    expect(close(hit.score, expected[i]!.score), `position ${i}: ${hit.id} ${hit.score} against ${expected[i]!.id} ${expected[i]!.score}`).toBe(true);
    // An id the reference left out can only be one that ties its last hit (the cut at k).
    const score = reference.get(hit.id) ?? expected[expected.length - 1]!.score;
    expect(close(hit.score, score), `${hit.id}: ${hit.score} against ${score}`).toBe(true);
  });
}

const indexOf = (documents: readonly LexicalDocument[]) => {
  const index = new Bm25Index();
  index.add(documents);
  return index;
};

describe('Bm25Index', () => {
  it('ranks exactly like a brute-force BM25 over the same texts', () => {
    fc.assert(
      fc.property(collection, query, fc.integer({ min: 1, max: 30 }), (documents, q, k) => {
        expectSameRanking(indexOf(documents).search(q, k), bruteForce(documents, q, k));
      }),
      { numRuns: 300 },
    );
  });

  it('ranks like minisearch', () => {
    fc.assert(
      fc.property(collection, query, (documents, q) => {
        expectSameRanking(indexOf(documents).search(q, 50), minisearchSearch(documents, q, 50));
      }),
      { numRuns: 200 },
    );
  });

  it('leaves the same scores after an add and a remove as if the documents were never added', () => {
    fc.assert(
      fc.property(collection, collection, query, (kept, passing, q) => {
        const index = indexOf(kept);
        const transient = passing.map((doc) => ({ id: `t-${doc.id}`, text: doc.text }));
        index.add(transient);
        for (const doc of transient) expect(index.remove(doc.id)).toBe(true);
        expect(index.size).toBe(kept.length);
        // Up to the last bit: a term removed and added again can come back in another place of
        // the term tree, so a document's per-term parts are summed in another order.
        expectSameRanking(index.search(q, 50), indexOf(kept).search(q, 50));
      }),
      { numRuns: 200 },
    );
  });

  it('ranks like a fresh index while documents come and go between searches of the same queries (property)', () => {
    // Typo matches of a query word are remembered until the vocabulary changes: every search here
    // repeats earlier queries after adds and removes, and must still see every current term.
    const step = fc.oneof(
      fc.record({ add: text, id: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ remove: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ search: fc.integer({ min: 0, max: 2 }) }),
    );
    fc.assert(
      fc.property(fc.array(query, { minLength: 3, maxLength: 3 }), fc.array(step, { maxLength: 30 }), (queries, steps) => {
        const index = new Bm25Index();
        const current = new Map<string, string>();
        for (const s of steps) {
          if ('add' in s) {
            index.add([{ id: `d${s.id}`, text: s.add }]);
            current.set(`d${s.id}`, s.add);
          } else if ('remove' in s) {
            index.remove(`d${s.remove}`);
            current.delete(`d${s.remove}`);
          }
          const q = queries['search' in s ? s.search : 0]!;
          const documents = [...current].map(([id, t]) => ({ id, text: t }));
          expectSameRanking(index.search(q, 50), documents.length > 0 ? indexOf(documents).search(q, 50) : []);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('finds a typo match in a term added after the same query was searched', () => {
    const index = indexOf([{ id: 'a', text: 'painting' }]);
    expect(index.search('fligt')).toEqual([]);
    index.add([{ id: 'b', text: 'flight' }]);
    expect(index.search('fligt').map((hit) => hit.id)).toEqual(['b']);
    index.remove('b');
    index.add([{ id: 'c', text: 'flight' }]);
    expect(index.search('fligt').map((hit) => hit.id)).toEqual(['c']);
  });

  it('replaces a document added again under the same id', () => {
    const index = indexOf([{ id: 'a', text: 'red paint' }]);
    index.add([{ id: 'a', text: 'blue flight' }]);
    expect(index.size).toBe(1);
    expect(index.search('paint')).toEqual([]);
    expect(index.search('flight').map((hit) => hit.id)).toEqual(['a']);
  });

  it('applies the filter before keeping the best k', () => {
    const index = indexOf([
      { id: 'a', text: 'paint paint paint' },
      { id: 'b', text: 'paint' },
      { id: 'c', text: 'flight' },
    ]);
    expect(index.search('paint', 1, (id) => id !== 'a').map((hit) => hit.id)).toEqual(['b']);
  });

  it('answers an unknown id, an empty query and k 0 with nothing', () => {
    const index = indexOf([{ id: 'a', text: 'paint' }]);
    expect(index.remove('missing')).toBe(false);
    expect(index.search('   ')).toEqual([]);
    expect(index.search('paint', 0)).toEqual([]);
  });
});
