import { LexicalIndex, messageToText, type ChatMessage, type LexicalHit } from '../core/index.js';

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

/** Reciprocal rank fusion of several ranked lists (k = 60), stable for equal scores. */
export function fuseRanks<T extends { id: string }>(lists: ReadonlyArray<readonly T[]>, k = 60): T[] {
  const scored = new Map<string, { item: T; score: number; first: number }>();
  let order = 0;
  for (const list of lists) {
    list.forEach((item, rank) => {
      const entry = scored.get(item.id) ?? { item, score: 0, first: order++ };
      entry.score += 1 / (k + rank + 1);
      scored.set(item.id, entry);
    });
  }
  return [...scored.values()].sort((a, b) => b.score - a.score || a.first - b.first).map((entry) => entry.item);
}
