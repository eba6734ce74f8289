import { Bm25Index } from '../retrieval/bm25.js';
import { QueryCache } from './query-cache.js';
import type { VectorFilter, VectorStore } from './types.js';

/** English function words dropped before lexical matching. Negations stay: "never call me" must not read as "call me". */
const STOPWORDS = new Set(
  ('a about after again all also am an and any are as at be because been before being both but by can could did do does doing ' +
    'during each for from further had has have having he her here hers herself him himself his how i if in into is it its itself ' +
    'just me more most my myself of off on once only or other our ours ourselves out over own same she should so some such than ' +
    'that the their theirs them themselves then there these they this those through to too under until up very was we were what ' +
    'when where which while who whom why will with would you your yours yourself yourselves')
    .split(' '),
);

const WORD = /[\p{L}\p{N}]+(?:'[\p{L}]+)?/gu;

/** A light English stemmer (plural, -ing, -ed, -ly): "painted", "painting", "paints" all become "paint". */
export function stem(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  if (word.endsWith("'s")) return stem(word.slice(0, -2));
  if (word.endsWith('ies') || word.endsWith('ied')) return word.length > 4 ? `${word.slice(0, -3)}y` : word;
  if (word.endsWith('sses')) return word.slice(0, -2);
  for (const suffix of ['ing', 'ed']) {
    if (word.endsWith(suffix) && word.length - suffix.length >= 3) return undouble(word.slice(0, -suffix.length));
  }
  if (word.endsWith('ly') && word.length >= 6) return word.slice(0, -2);
  if (/(?:ch|sh|x|z)es$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('s') && !/(?:ss|us|is)$/.test(word)) return word.slice(0, -1);
  return word;
}

// "stopped" -> "stopp" -> "stop"; "called" -> "call" keeps its ll.
function undouble(word: string): string {
  return /([^aeiouls])\1$/.test(word) ? word.slice(0, -1) : word;
}

const lexicalQueries = new QueryCache<string>();

/** {@link lexicalText} of a query, remembered for the next searches of the same text (memory, sessions, knowledge). */
export function lexicalQuery(query: string): string {
  return lexicalQueries.get(query, lexicalText);
}

/** The text as lexical search sees it: lowercase words without stopwords, stemmed, space-separated. */
export function lexicalText(text: string): string {
  const words = text.toLowerCase().normalize('NFKC').match(WORD) ?? [];
  return words
    .filter((word) => !STOPWORDS.has(word))
    .map(stem)
    .join(' ');
}

/** A ranked hit of one retriever: higher score is better, scores comparable only within the list. */
export interface RankedHit {
  id: string;
  score: number;
}

/** A hit after fusion: relevance in 0..1 and its rank (0-based) in each input list, where it was found. */
export interface FusedHit {
  id: string;
  relevance: number;
  ranks: Array<number | undefined>;
}

/**
 * How ranked lists are fused. `rrf`: reciprocal rank fusion, sum of w / (k + rank + 1).
 * `convex`: the weighted mean of each list's scores divided by that list's best score.
 */
export type FusionMethod = 'rrf' | 'convex';

/** Options of {@link fuseRankings}. */
export interface FusionOptions {
  /** @default 'rrf' */
  method?: FusionMethod;
  /** The RRF rank constant. @default 60 */
  k?: number;
  /** One weight per list. @default all 1 */
  weights?: readonly number[];
}

/**
 * Fuses ranked lists into one, best first. Relevance is normalized to 0..1: 1 for a hit that
 * tops every list. Ties keep the order of first appearance, so the result is deterministic.
 */
export function fuseRankings(lists: ReadonlyArray<readonly RankedHit[]>, options: FusionOptions = {}): FusedHit[] {
  const method = options.method ?? 'rrf';
  const k = options.k ?? 60;
  const weights = lists.map((_, i) => options.weights?.[i] ?? 1);
  const totalWeight = weights.reduce((sum, w) => sum + w, 0) || 1;
  const fused = new Map<string, { hit: FusedHit; sum: number; first: number }>();
  lists.forEach((list, listIndex) => {
    const best = Math.max(0, ...list.map((hit) => hit.score));
    list.forEach((hit, rank) => {
      let entry = fused.get(hit.id);
      if (!entry) {
        entry = { hit: { id: hit.id, relevance: 0, ranks: lists.map(() => undefined) }, sum: 0, first: fused.size };
        fused.set(hit.id, entry);
      }
      entry.hit.ranks[listIndex] = rank;
      const part = method === 'rrf' ? (k + 1) / (k + rank + 1) : best > 0 ? Math.max(0, hit.score) / best : 0;
      entry.sum += weights[listIndex]! * part;
    });
  });
  return [...fused.values()]
    .map((entry) => ({ ...entry, hit: { ...entry.hit, relevance: entry.sum / totalWeight } }))
    .sort((a, b) => b.hit.relevance - a.hit.relevance || a.first - b.first)
    .map((entry) => entry.hit);
}

/** An entry of a {@link HybridIndex}: the text for lexical search and the vector for dense search. */
export interface HybridEntry {
  id: string;
  text: string;
  vector: Float32Array;
}

/** Options of a {@link HybridIndex} search. */
export interface HybridQuery {
  text: string;
  vector: Float32Array;
  /** Most fused hits returned. */
  k: number;
  /** Hits each retriever contributes before fusion. @default max(k, 50) */
  depth?: number;
  /** Applied inside both searches. */
  filter?: (id: string) => boolean;
  /** How this search fuses the two rankings. @default the index's */
  fusion?: FusionOptions;
}

/** A fused hit with the cosine similarity of its vector, where the dense search found it. */
export interface HybridHit extends FusedHit {
  similarity?: number;
}

/**
 * A vector store and a BM25 index over the same entries, searched together and fused. The
 * lexical side ({@link Bm25Index}) sees {@link lexicalText} and never needs a rebuild: a delete
 * un-counts the entry's terms, and added texts wait in a queue that the next search indexes in
 * one pass, so a bulk load pays one lexical update however many entries it adds. Vectors go into
 * the store at once (write-time dedup searches them). Vector metadata is `{ entryId }`, so filters
 * see the id.
 */
export class HybridIndex {
  /** id -> raw text added since the last search, not yet in the BM25 index. */
  private readonly pending = new Map<string, string>();
  private readonly lexical = new Bm25Index();

  /** @param vectors an empty store, or one already holding the vectors of `documents` (a reopened index) */
  constructor(
    private vectors: VectorStore,
    private readonly fusion: FusionOptions = {},
    documents: ReadonlyArray<{ id: string; text: string }> = [],
  ) {
    for (const doc of documents) this.pending.set(doc.id, doc.text);
  }

  get vectorStore(): VectorStore {
    return this.vectors;
  }

  get size(): number {
    return this.lexical.size + this.pending.size;
  }

  /** Moves to another (empty) store, given every entry's vector: exact search to HNSW as a collection grows. */
  moveVectors(store: VectorStore, vectors: ReadonlyArray<{ id: string; vector: Float32Array }>): void {
    store.add(vectors.map(({ id, vector }) => ({ id, vector, metadata: { entryId: id } })));
    this.vectors = store;
  }

  /** Adds entries; an id already present is replaced. */
  add(entries: readonly HybridEntry[]): void {
    for (const entry of entries) this.delete(entry.id);
    this.vectors.add(entries.map(({ id, vector }) => ({ id, vector, metadata: { entryId: id } })));
    for (const entry of entries) this.pending.set(entry.id, entry.text);
  }

  delete(id: string): boolean {
    if (!this.lexical.remove(id) && !this.pending.delete(id)) return false;
    this.vectors.delete(id);
    return true;
  }

  /** Lexical and dense hits fused, best first; dense hits sharing no feature with the query (similarity <= 0) are left out. */
  search(query: HybridQuery): HybridHit[] {
    if (this.size === 0 || query.k <= 0) return [];
    const depth = Math.max(query.depth ?? 50, query.k);
    const dense = this.searchVectors(query.vector, depth, query.filter).filter((hit) => hit.score > 0);
    const sparse = this.searchText(query.text, depth, query.filter);
    const similarity = new Map(dense.map((hit) => [hit.id, hit.score]));
    return fuseRankings([sparse, dense], query.fusion ?? this.fusion)
      .slice(0, query.k)
      .map((hit) => ({ ...hit, similarity: similarity.get(hit.id) }));
  }

  /** The `k` nearest vectors among entries passing `filter`, best first; the score is the cosine similarity. */
  searchVectors(vector: Float32Array, k: number, filter?: (id: string) => boolean): RankedHit[] {
    if (this.vectors.size === 0 || k <= 0) return [];
    const vectorFilter: VectorFilter | undefined = filter && ((metadata) => filter(String(metadata.entryId)));
    return this.vectors.search(vector, Math.min(k, this.vectors.size), vectorFilter).map((hit) => ({ id: hit.id, score: hit.similarity }));
  }

  /** The `k` best BM25 matches of `text` among entries passing `filter`, best first. */
  searchText(text: string, k: number, filter?: (id: string) => boolean): RankedHit[] {
    if (this.size === 0 || k <= 0) return [];
    return this.lexicalIndex().search(lexicalQuery(text), k, filter);
  }

  /** The BM25 index with every pending text added. */
  private lexicalIndex(): Bm25Index {
    if (this.pending.size > 0) {
      const fresh = [...this.pending].map(([id, text]) => ({ id, text: lexicalText(text) }));
      this.pending.clear();
      this.lexical.add(fresh);
    }
    return this.lexical;
  }
}
