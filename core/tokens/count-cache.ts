/** Hit/miss statistics of a {@link CountCache}. */
export interface CountCacheStats {
  hits: number;
  misses: number;
  entries: number;
  chars: number;
}

/**
 * A bounded least-recently-used cache of token counts keyed by the exact text.
 * Bounded both by entry count and by the total characters held, so a few huge
 * documents cannot pin unbounded memory.
 */
export class CountCache {
  /** Text -> [count, the tick it last moved to the back]; the front of the map is the oldest. */
  private readonly entries = new Map<string, [count: number, moved: number]>();
  private tick = 0;
  private heldChars = 0;
  private hits = 0;
  private misses = 0;

  /**
   * @param maxEntries most texts remembered @default 20000
   * @param maxChars most characters remembered across all texts @default 16000000
   */
  constructor(
    readonly maxEntries = 20_000,
    readonly maxChars = 16_000_000,
  ) {}

  /** The cached count for `text`, computing and remembering it on a miss. */
  getOrCompute(text: string, compute: (text: string) => number): number {
    const cached = this.entries.get(text);
    if (cached !== undefined) {
      this.hits++;
      // Moving an entry to the back costs a delete and an insert; an entry moved within the last
      // half of the cache's capacity is far from eviction already, so it stays where it is. The
      // texts evicted are still the least recently used but for that half.
      if (this.tick - cached[1] >= this.maxEntries / 2) {
        cached[1] = ++this.tick;
        this.entries.delete(text);
        this.entries.set(text, cached);
      }
      return cached[0];
    }
    this.misses++;
    const count = compute(text);
    if (text.length <= this.maxChars && this.maxEntries > 0) {
      this.entries.set(text, [count, ++this.tick]);
      this.heldChars += text.length;
      this.evict();
    }
    return count;
  }

  stats(): CountCacheStats {
    return { hits: this.hits, misses: this.misses, entries: this.entries.size, chars: this.heldChars };
  }

  clear(): void {
    this.entries.clear();
    this.heldChars = 0;
  }

  private evict(): void {
    if (this.entries.size <= this.maxEntries && this.heldChars <= this.maxChars) return;
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries && this.heldChars <= this.maxChars) return;
      this.entries.delete(oldest);
      this.heldChars -= oldest.length;
    }
  }
}
