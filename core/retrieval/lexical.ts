import { Bm25Index } from './bm25.js';

/** A document for lexical search. */
export interface LexicalDocument {
  id: string;
  text: string;
}

/** A search hit: the document id and its BM25 score (higher is better). */
export interface LexicalHit {
  id: string;
  score: number;
}

/**
 * BM25 search over an in-memory collection ({@link Bm25Index}, which ranks as minisearch does):
 * prefix matching for the last word, light fuzziness for typos. Incremental both ways: a removed
 * document's terms and length leave the statistics at once, so no rebuild is ever needed. Scores
 * are comparable only within one query.
 */
export class LexicalIndex {
  private readonly index = new Bm25Index();

  add(documents: readonly LexicalDocument[]): void {
    this.index.add(documents);
  }

  /** Removes a document (by its id). */
  remove(document: LexicalDocument): void {
    this.index.remove(document.id);
  }

  get size(): number {
    return this.index.size;
  }

  /** The best `k` documents for `query`, best first; ties broken by id for determinism. */
  search(query: string, k = 10, filter?: (id: string) => boolean): LexicalHit[] {
    if (query.trim() === '' || k <= 0) return [];
    return this.index.search(query, k, filter);
  }
}
