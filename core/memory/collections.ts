import type { Memory } from './types.js';

/** The `k` memories of highest score offered, best first, ties by id: a bounded insertion instead of sorting a whole pool. */
export class TopMemories {
  private readonly kept: Array<{ memory: Memory; score: number }> = [];

  constructor(private readonly k: number) {}

  /** Whether k memories are kept. */
  get full(): boolean {
    return this.kept.length >= this.k;
  }

  /** The lowest kept score (-Infinity while nothing is kept). */
  get worst(): number {
    return this.kept[this.kept.length - 1]?.score ?? -Infinity;
  }

  offer(memory: Memory, score: number): void {
    const { kept, k } = this;
    const entry = { memory, score };
    if (k <= 0 || (kept.length === k && !before(entry, kept[k - 1]!))) return;
    if (kept.length === k) kept.pop();
    let at = kept.length;
    while (at > 0 && before(entry, kept[at - 1]!)) at--;
    kept.splice(at, 0, entry);
  }

  memories(): Memory[] {
    return this.kept.map((entry) => entry.memory);
  }
}

const before = (a: { memory: Memory; score: number }, b: { memory: Memory; score: number }) => a.score > b.score || (a.score === b.score && a.memory.id < b.memory.id);

/** How many items share each key. */
export function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  return new Map([...groupBy(items, key)].map(([name, group]) => [name, group.length]));
}

/** Items grouped by key, in first-seen order. */
export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}
