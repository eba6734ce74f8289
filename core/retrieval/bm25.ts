import SearchableMap from 'minisearch/SearchableMap';
import type { LexicalDocument, LexicalHit } from './lexical.js';

/** minisearch's tokenizer: words split on whitespace and punctuation, lowercased. */
const SEPARATOR = /[\n\r\p{Z}\p{P}]+/u;
/** BM25+ as minisearch computes it (its defaults), so rankings match minisearch's. */
const K1 = 1.2;
const B = 0.7;
const DELTA = 0.5;
const PREFIX_WEIGHT = 0.375;
const FUZZY_WEIGHT = 0.45;
/** Edit distance allowed per character of a query word, and at most. */
const FUZZY = 0.15;
const MAX_FUZZY = 6;
/** Query words whose typo matches an index remembers (an index per customer: a few kB each at most). */
const FUZZY_CACHE_WORDS = 128;

/**
 * The documents holding one term, as parallel arrays of small integers: slot and term frequency.
 * Plain arrays, not typed ones: most terms of a customer's partition have a posting or two, and a
 * typed array costs about 200 bytes before its first element (100,000 memories: +270 MiB).
 */
class Postings {
  readonly slots: number[] = [];
  readonly counts: number[] = [];

  constructor(readonly term: string) {}

  get size(): number {
    return this.slots.length;
  }

  add(slot: number, count: number): void {
    this.slots.push(slot);
    this.counts.push(count);
  }

  /** Drops a slot by moving the last posting into its place. */
  remove(slot: number): void {
    const at = this.slots.indexOf(slot);
    this.slots[at] = this.slots[this.slots.length - 1]!;
    this.counts[at] = this.counts[this.counts.length - 1]!;
    this.slots.pop();
    this.counts.pop();
  }
}

/**
 * Per-search work arrays, shared by every index (one search runs at a time): a document's running
 * score, how many distinct query words it matched, and stamps saying whether this search (or
 * this query word) has touched it yet, so nothing is cleared between searches.
 */
const work = {
  score: new Float64Array(0),
  quality: new Float64Array(0),
  touchedBy: new Float64Array(0),
  matchedBy: new Float64Array(0),
  touched: new Int32Array(0),
  stamp: 0,
};

function workFor(slots: number): typeof work {
  if (work.score.length < slots) {
    const size = Math.max(slots, 2 * work.score.length, 1024);
    work.score = new Float64Array(size);
    work.quality = new Float64Array(size);
    work.touchedBy = new Float64Array(size);
    work.matchedBy = new Float64Array(size);
    work.touched = new Int32Array(size);
  }
  return work;
}

/**
 * BM25 over an in-memory collection that scores postings straight into typed arrays: the same
 * ranking as the minisearch-based {@link LexicalIndex} (BM25+, prefix matching for the last query
 * word, edit distance 0.15 per character for typos, scores multiplied by the number of query words
 * matched), without a match object per document. Incremental both ways: a removed document's
 * terms and length leave the statistics at once, so no rebuild is ever needed.
 */
export class Bm25Index {
  private readonly terms = new SearchableMap<Postings>();
  private readonly slotOf = new Map<string, number>();
  private readonly ids: Array<string | undefined> = [];
  private lengths = new Float64Array(16);
  private readonly termsOf: Postings[][] = [];
  private readonly free: number[] = [];
  private totalLength = 0;
  /** Changes whenever a term enters or leaves the vocabulary: the typo matches cached below depend on nothing else. */
  private vocabulary = 0;
  /** A query word's terms within its edit distance, as of vocabulary version `at`: the costliest part of a search, and query words repeat. */
  private readonly fuzzyCache = new Map<string, { at: number; matches: Map<string, [Postings, number]> }>();

  get size(): number {
    return this.slotOf.size;
  }

  /** Adds documents; an id already here is replaced. */
  add(documents: readonly LexicalDocument[]): void {
    for (const document of documents) {
      this.remove(document.id);
      const tokens = document.text.toLowerCase().split(SEPARATOR);
      const counts = new Map<string, number>();
      for (const token of tokens) if (token !== '') counts.set(token, (counts.get(token) ?? 0) + 1);
      const slot = this.free.pop() ?? this.ids.length;
      this.ids[slot] = document.id;
      this.slotOf.set(document.id, slot);
      this.ensureLengths(slot + 1);
      // minisearch's field length: distinct tokens, the empty one included.
      const length = new Set(tokens).size;
      this.lengths[slot] = length;
      this.totalLength += length;
      const held: Postings[] = [];
      for (const [term, count] of counts) {
        const postings = this.terms.fetch(term, () => (this.vocabulary++, new Postings(term)));
        postings.add(slot, count);
        held.push(postings);
      }
      this.termsOf[slot] = held;
    }
  }

  /** Removes a document; false when the id is not here. */
  remove(id: string): boolean {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return false;
    for (const postings of this.termsOf[slot]!) {
      postings.remove(slot);
      if (postings.size === 0) {
        this.terms.delete(postings.term);
        this.vocabulary++;
      }
    }
    this.totalLength -= this.lengths[slot]!;
    this.termsOf[slot] = [];
    this.ids[slot] = undefined;
    this.slotOf.delete(id);
    this.free.push(slot);
    return true;
  }

  /** The best `k` documents for `query`, best first; ties broken by id for determinism. */
  search(query: string, k = 10, filter?: (id: string) => boolean): LexicalHit[] {
    const words = query.toLowerCase().split(SEPARATOR).filter((word) => word !== '');
    if (words.length === 0 || k <= 0 || this.size === 0) return [];
    const w = workFor(this.ids.length);
    const search = ++w.stamp;
    let touched = 0;
    const documents = this.size;
    const average = this.totalLength / documents;
    for (const weights of this.derivedTerms(words).values()) {
      const matched = ++w.stamp;
      for (const [postings, weight] of weights) {
        const idf = Math.log(1 + (documents - postings.size + 0.5) / (postings.size + 0.5));
        const { slots, counts } = postings;
        for (let i = 0; i < slots.length; i++) {
          const slot = slots[i]!;
          const tf = counts[i]!;
          const part = weight * idf * (DELTA + (tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * this.lengths[slot]!) / average)));
          if (w.touchedBy[slot] !== search) {
            w.touchedBy[slot] = search;
            w.matchedBy[slot] = matched;
            w.score[slot] = part;
            w.quality[slot] = 1;
            w.touched[touched++] = slot;
            continue;
          }
          w.score[slot] = w.score[slot]! + part;
          if (w.matchedBy[slot] !== matched) {
            w.matchedBy[slot] = matched;
            w.quality[slot] = w.quality[slot]! + 1;
          }
        }
      }
    }
    const slots = w.touched.slice(0, touched);
    const scores = new Float64Array(touched);
    for (let i = 0; i < touched; i++) scores[i] = w.score[slots[i]!]! * w.quality[slots[i]!]!;
    return this.best(slots, scores, k, filter);
  }

  /**
   * Each distinct query word with the index terms it reaches and their summed weights: itself
   * (1), longer terms it begins (the last word only, over 3 characters) and terms within its edit
   * distance. A word repeated in the query counts as often as it appears, as in minisearch.
   */
  private derivedTerms(words: readonly string[]): Map<string, Map<Postings, number>> {
    const derived = new Map<string, Map<Postings, number>>();
    words.forEach((word, i) => {
      const weights = derived.get(word) ?? new Map<Postings, number>();
      derived.set(word, weights);
      const credit = (postings: Postings, weight: number) => weights.set(postings, (weights.get(postings) ?? 0) + weight);
      const exact = this.terms.get(word);
      if (exact) credit(exact, 1);
      const prefix = i === words.length - 1 && word.length > 3;
      if (prefix) {
        for (const [term, postings] of this.terms.atPrefix(word)) {
          if (term.length > word.length) credit(postings, (PREFIX_WEIGHT * term.length) / (term.length + 0.3 * (term.length - word.length)));
        }
      }
      const distance = Math.min(MAX_FUZZY, Math.round(word.length * FUZZY));
      if (distance === 0) return;
      // A word repeated in the query finds its matches in the cache.
      for (const [term, [postings, edits]] of this.fuzzyMatches(word, distance)) {
        if (edits > 0 && !(prefix && term.startsWith(word))) credit(postings, (FUZZY_WEIGHT * term.length) / (term.length + edits));
      }
    });
    return derived;
  }

  /** The index terms within `distance` edits of `word` with their edit counts, cached until the vocabulary changes. */
  private fuzzyMatches(word: string, distance: number): Map<string, [Postings, number]> {
    const cached = this.fuzzyCache.get(word);
    if (cached && cached.at === this.vocabulary) return cached.matches;
    const matches = this.terms.fuzzyGet(word, distance);
    this.fuzzyCache.delete(word);
    this.fuzzyCache.set(word, { at: this.vocabulary, matches });
    if (this.fuzzyCache.size > FUZZY_CACHE_WORDS) this.fuzzyCache.delete(this.fuzzyCache.keys().next().value!);
    return matches;
  }

  /** The best `k` of the scored slots passing `filter`, by score and then id. */
  private best(slots: Int32Array, scores: Float64Array, k: number, filter?: (id: string) => boolean): LexicalHit[] {
    const kept: LexicalHit[] = [];
    const before = (a: LexicalHit, b: LexicalHit) => a.score > b.score || (a.score === b.score && a.id < b.id);
    for (let i = 0; i < slots.length; i++) {
      const score = scores[i]!;
      if (kept.length === k && score < kept[k - 1]!.score) continue;
      const id = this.ids[slots[i]!]!;
      const hit = { id, score };
      if (kept.length === k && !before(hit, kept[k - 1]!)) continue;
      if (filter && !filter(id)) continue;
      if (kept.length === k) kept.pop();
      let at = kept.length;
      while (at > 0 && before(hit, kept[at - 1]!)) at--;
      kept.splice(at, 0, hit);
    }
    return kept;
  }

  private ensureLengths(slots: number): void {
    if (slots <= this.lengths.length) return;
    const grown = new Float64Array(Math.max(slots, 2 * this.lengths.length));
    grown.set(this.lengths);
    this.lengths = grown;
  }
}
