import { customerWordsNewestFirst, fuseRankings, LexicalIndex, messageToText, toolSearchText, type ChatMessage, type LexicalHit, type TokenCounter, type ToolDefinition } from '../core/index.js';

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

/** Words of user text a tool search reads: the query first, then earlier user messages, newest first. */
const TOOL_QUERY_WORDS = 100;

/** The tools of a catalog, indexed by name, description and parameters for BM25. */
export class ToolIndex {
  private readonly index = new LexicalIndex();
  private readonly byName: Map<string, ToolDefinition>;

  constructor(
    private readonly tools: readonly ToolDefinition[],
    private readonly counter: TokenCounter,
  ) {
    this.byName = new Map(tools.map((tool) => [tool.function.name, tool]));
    if (tools.length > 0) this.index.add(tools.map((tool) => ({ id: tool.function.name, text: toolSearchText(tool) })));
  }

  /**
   * The `k` tools that best match what the user said (the query, then earlier user messages,
   * newest first), best first, as many as fit `room` tokens.
   */
  search(history: readonly ChatMessage[], query: string, k: number, room: number): { tools: ToolDefinition[]; tokens: number } {
    if (this.tools.length === 0 || k <= 0) return { tools: [], tokens: 0 };
    const text = customerWordsNewestFirst(query, history, TOOL_QUERY_WORDS);
    const tools: ToolDefinition[] = [];
    let tokens = 0;
    for (const hit of this.index.search(text, k)) {
      const next = [...tools, this.byName.get(hit.id)!];
      const cost = this.counter.countTools(next);
      if (cost > room) break;
      tools.push(next[next.length - 1]!);
      tokens = cost;
    }
    return { tools, tokens };
  }
}

/** One tool index per catalog (the episodes of a dataset share one tools array). */
export class ToolIndexCache {
  private readonly indexes = new WeakMap<readonly ToolDefinition[], ToolIndex>();

  constructor(private readonly counter: TokenCounter) {}

  get(tools: readonly ToolDefinition[]): ToolIndex {
    let index = this.indexes.get(tools);
    if (!index) {
      index = new ToolIndex(tools, this.counter);
      this.indexes.set(tools, index);
    }
    return index;
  }
}
