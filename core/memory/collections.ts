import type { Memory } from './types.js';

/** The `k` memories of highest score, best first, ties by id: a bounded insertion instead of sorting the whole pool. */
export function bestOf(pool: readonly Memory[], k: number, scoreOf: (memory: Memory) => number): Memory[] {
  const kept: Array<{ memory: Memory; score: number }> = [];
  const before = (a: { memory: Memory; score: number }, b: { memory: Memory; score: number }) => a.score > b.score || (a.score === b.score && a.memory.id < b.memory.id);
  for (const memory of pool) {
    const entry = { memory, score: scoreOf(memory) };
    if (kept.length === k) {
      if (!before(entry, kept[k - 1]!)) continue;
      kept.pop();
    }
    let at = kept.length;
    while (at > 0 && before(entry, kept[at - 1]!)) at--;
    kept.splice(at, 0, entry);
  }
  return kept.map((entry) => entry.memory);
}

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
