import type { Memory } from './types.js';

interface Timed {
  memory: Memory;
  time: number;
}

const newestFirst = (a: Timed, b: Timed) => b.time - a.time || (a.memory.id < b.memory.id ? -1 : a.memory.id > b.memory.id ? 1 : 0);
const mostImportantFirst = (a: Memory, b: Memory) => b.importance - a.importance || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * A partition's memories sorted two ways, newest first and most important first: a memory that
 * matches nothing of a query scores by its age and importance alone, so walking both orders at
 * once (Fagin's threshold algorithm) finds the best of them without scoring the whole partition.
 * Memories are objects never changed in place (a merge or update stores a new object).
 */
export class StandingOrder {
  private byTime: Timed[] = [];
  private byImportance: Memory[] = [];
  /** Added since the last walk: sorted in then, in one pass for a bulk load. */
  private pending = new Set<Memory>();

  add(memory: Memory): void {
    this.pending.add(memory);
  }

  /** Removes a memory added before (the same object). */
  remove(memory: Memory): void {
    if (this.pending.delete(memory)) return;
    this.byTime.splice(positionOf(this.byTime, { memory, time: Date.parse(memory.createdAt) }, newestFirst), 1);
    this.byImportance.splice(positionOf(this.byImportance, memory, mostImportantFirst), 1);
  }

  /**
   * Every memory once, newest and most important alternately, each with `rest`: no memory yet to
   * come scores above it (-Infinity once all have come), for a query-independent score that grows
   * with time and importance, of which `bound` gives the score of one memory's time with another's importance.
   */
  *walk(bound: (newest: Memory, mostImportant: Memory) => number): Generator<{ memory: Memory; rest: number }> {
    this.settle();
    const { byTime, byImportance } = this;
    const seen = new Set<string>();
    for (let i = 0; i < byTime.length; i++) {
      // After the i-th newest, what is still to come is older than the (i+1)-th newest and no more important than the i-th most important.
      const next = byTime[i + 1]?.memory;
      const newest = byTime[i]!.memory;
      if (!seen.has(newest.id)) {
        seen.add(newest.id);
        yield { memory: newest, rest: next ? bound(next, byImportance[i]!) : -Infinity };
      }
      const important = byImportance[i]!;
      if (!seen.has(important.id)) {
        seen.add(important.id);
        yield { memory: important, rest: next ? bound(next, byImportance[i + 1]!) : -Infinity };
      }
    }
  }

  private settle(): void {
    const pending = [...this.pending];
    if (pending.length === 0) return;
    this.pending.clear();
    if (pending.length > this.byTime.length / 16) {
      this.byTime = [...this.byTime, ...pending.map(timed)].sort(newestFirst);
      this.byImportance = [...this.byImportance, ...pending].sort(mostImportantFirst);
      return;
    }
    for (const memory of pending) {
      const entry = timed(memory);
      this.byTime.splice(positionOf(this.byTime, entry, newestFirst), 0, entry);
      this.byImportance.splice(positionOf(this.byImportance, memory, mostImportantFirst), 0, memory);
    }
  }
}

const timed = (memory: Memory): Timed => ({ memory, time: Date.parse(memory.createdAt) });

/** The first index whose item does not come before `item` (binary search). */
function positionOf<T>(items: readonly T[], item: T, order: (a: T, b: T) => number): number {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (order(items[mid]!, item) < 0) low = mid + 1;
    else high = mid;
  }
  return low;
}
