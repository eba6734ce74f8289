/**
 * A small least-recently-used map from a query's text to something derived from it (its
 * embedding, its lexical form): a query is often worked on more than once, by several searches
 * of one assembly or by a retried turn, and the derivation costs more than a map lookup.
 */
export class QueryCache<V> {
  private readonly entries = new Map<string, V>();

  /** @param capacity most queries remembered @default 256 */
  constructor(readonly capacity = 256) {}

  /** The value for `query`, derived (and remembered) on a miss. */
  get(query: string, derive: (query: string) => V): V {
    const cached = this.entries.get(query);
    if (cached !== undefined) {
      this.entries.delete(query);
      this.entries.set(query, cached);
      return cached;
    }
    const value = derive(query);
    this.entries.set(query, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }

  delete(query: string): void {
    this.entries.delete(query);
  }
}
