import type { ChatMessage, ToolDefinition } from '../messages.js';
import type { MemoryStoreConfig } from '../memory/memory-store.js';
import type { Named } from '../registry.js';
import type { TokenCounter } from '../tokens/counter.js';
import type { Episode, Turn } from './episode.js';

/** What a strategy sees at one turn: only what came before it. */
export interface TurnInput {
  /** Read-only: a strategy must never mutate the episode. */
  episode: Readonly<Episode>;
  turn: Readonly<Turn>;
  turnIndex: number;
  /** `episode.messages.slice(0, turn.at)`. */
  history: readonly ChatMessage[];
  /** The query to answer: the turn's query, else the last user message of the history ('' if none). */
  query: string;
  /**
   * The recorded time of the turn (ISO 8601), where the recording has one: strategies take
   * "now" from here, never from the wall clock, so replays of old data are reproducible.
   */
  now?: string;
}

/** The context a strategy would send for one turn. */
export interface AssembledContext {
  messages: ChatMessage[];
  /** The tool definitions sent with the messages; their tokens are billed as part of the prompt. @default none */
  tools?: ToolDefinition[];
  /** Tokens per named section of the context. */
  sections: Record<string, number>;
  /**
   * The knowledge documents the strategy ranked for the query, best first, where it ranks them
   * (rank metrics use it; a ranked document counts only if its text is also in the context).
   */
  retrieved?: string[];
  /** The routed intent, for strategies with a router. */
  intent?: { label: string; confidence: number };
}

/** Per-episode state of a strategy (running summaries, indexes); never shared across episodes. */
export interface StrategySession {
  assemble(input: TurnInput): Promise<AssembledContext> | AssembledContext;
}

/** Shared, read-only services a strategy may use. */
export interface StrategyEnv {
  counter: TokenCounter;
  /** The model the contexts are for. */
  model: string;
  /** Where strategies that keep long-term memory keep it. @default in process, per episode */
  memory?: MemoryStoreConfig;
}

/** A configured strategy. */
export interface Strategy {
  /** Declared token budget of every context (prompt tokens as billed), or null for none. */
  readonly budget: number | null;
  /**
   * Starts a conversation. `peer` is another episode of the same dataset, chosen by the runner
   * the same way in every run and shard; only reference strategies (another conversation's
   * context) have a use for it.
   */
  startEpisode(episode: Readonly<Episode>, peer?: Readonly<Episode>): StrategySession;
}

/** A strategy plug-in: one file, one line of registration. */
export interface StrategyPlugin<TOptions extends object = Record<string, unknown>> extends Named {
  /** The options used when the caller gives none. */
  readonly defaults: TOptions;
  /**
   * A reference context (degenerate contexts, the oracle that knows the answers): replayed and
   * reported for scale, never judged by the mission check. @default false
   */
  readonly reference?: boolean;
  create(options: TOptions, env: StrategyEnv): Strategy;
}

/** Types a strategy definition; does nothing at run time. */
export function defineStrategy<TOptions extends object>(plugin: StrategyPlugin<TOptions>): StrategyPlugin<TOptions> {
  return plugin;
}

/** The query of a turn: its own query, else the last user message before it. */
export function queryOf(history: readonly ChatMessage[], turn: Readonly<Turn>): string {
  if (turn.query !== undefined) return turn.query;
  for (let i = history.length - 1; i >= 0; i--) {
    if (history[i]!.role === 'user') return history[i]!.content ?? '';
  }
  return '';
}

/** The recorded time of a turn: its own message's timestamp, else the latest one before it. */
export function recordedTimeOf(messages: readonly ChatMessage[], turn: Readonly<Turn>): string | undefined {
  for (let i = Math.min(turn.at, messages.length - 1); i >= 0; i--) {
    if (messages[i]!.timestamp) return messages[i]!.timestamp;
  }
  return undefined;
}
