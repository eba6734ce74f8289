import MiniSearch from 'minisearch';

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
 * BM25 search over an in-memory collection (minisearch): prefix matching for the last word,
 * light fuzziness for typos. Incremental both ways: a removed document's terms and length leave
 * the statistics at once, so no rebuild is ever needed. Scores are comparable only within one query.
 */
export class LexicalIndex {
  private readonly index = new MiniSearch<LexicalDocument>({
    fields: ['text'],
    storeFields: [],
    searchOptions: { fuzzy: 0.15, prefix: (term, i, terms) => i === terms.length - 1 && term.length > 3, combineWith: 'OR' },
  });

  add(documents: readonly LexicalDocument[]): void {
    this.index.addAll(documents);
  }

  /** Removes a document; it must be the one added (same id and text), since minisearch un-counts its terms. */
  remove(document: LexicalDocument): void {
    this.index.remove(document);
  }

  get size(): number {
    return this.index.documentCount;
  }

  /** The best `k` documents for `query`, best first; ties broken by id for determinism. */
  search(query: string, k = 10, filter?: (id: string) => boolean): LexicalHit[] {
    if (query.trim() === '' || k <= 0) return [];
    const results = this.index.search(query, filter ? { filter: (result) => filter(String(result.id)) } : undefined);
    // minisearch sorts by score: only the first k and whatever ties the k-th need the id order.
    let end = Math.min(k, results.length);
    while (end < results.length && results[end]!.score === results[k - 1]!.score) end++;
    return results
      .slice(0, end)
      .map((hit) => ({ id: String(hit.id), score: hit.score }))
      .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, k);
  }
}
