import { fuseRankings, LexicalIndex, messageToText, type ChatMessage, type LexicalHit } from '../core/index.js';

/** An episode's history, indexed unit by unit as it grows (append-only). */
export class HistoryIndex {
  private readonly index = new LexicalIndex();
  private indexed = 0;

  /** Indexes the units not seen yet; unit ids are their positions. */
  sync(units: readonly ChatMessage[][]): void {
    const fresh = units.slice(this.indexed).map((unit, i) => ({ id: String(this.indexed + i), text: unit.map(messageToText).join('\n') }));
    if (fresh.length > 0) this.index.add(fresh);
    this.indexed = units.length;
  }

  /** The best units before `before` for the query. */
  search(query: string, k: number, before: number): LexicalHit[] {
    return this.index.search(query, k, (id) => Number(id) < before);
  }
}

/** Reciprocal rank fusion (the core's fuseRankings, k = 60) of ranked lists of items, returning the items. */
export function fuseRanks<T extends { id: string }>(lists: ReadonlyArray<readonly T[]>): T[] {
  const items = new Map<string, T>();
  for (const list of lists) for (const item of list) if (!items.has(item.id)) items.set(item.id, item);
  return fuseRankings(lists.map((list) => list.map((item) => ({ id: item.id, score: 0 }))), { method: 'rrf', k: 60 }).map((hit) => items.get(hit.id)!);
}
