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
  private readonly entries = new Map<string, number>();
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
      this.entries.delete(text);
      this.entries.set(text, cached);
      return cached;
    }
    this.misses++;
    const count = compute(text);
    if (text.length <= this.maxChars && this.maxEntries > 0) {
      this.entries.set(text, count);
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
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries && this.heldChars <= this.maxChars) return;
      this.entries.delete(oldest);
      this.heldChars -= oldest.length;
    }
  }
}
