import type { z } from 'zod';
import type { LlmConfig } from '../llm/client.js';
import type { ChatMessage, ToolDefinition } from '../messages.js';
import type { MemoryStoreConfig } from '../memory/memory-store.js';
import type { Named } from '../registry.js';
import type { TokenCounter } from '../tokens/counter.js';
import type { Episode, Turn } from './episode.js';
import { defaultOptions, parseOptions, type OptionsSchema } from './options.js';

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
  /**
   * Tokens per named section of the context, listed in the order the sections appear in the
   * request (tools first): the report lays the cached prefix over them in this order.
   */
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
  /**
   * Token budget of this conversation's contexts when it is not the strategy's: a strategy whose
   * limit depends on the dataset (settings tuned per dataset) declares the largest as its own and
   * each conversation's here, so the runner checks each context against its own.
   * @default the strategy's budget
   */
  readonly budget?: number | null;
  assemble(input: TurnInput): Promise<AssembledContext> | AssembledContext;
}

/** The LLM-backed parts a strategy may use. */
export type LlmPart = 'summarizer' | 'extractor' | 'classifier' | 'embedder';

/** The LLM endpoint as a strategy sees it, and where it records which parts ran offline and why. */
export interface StrategyLlm {
  /** The endpoint, when one is configured; without it every part runs offline. */
  readonly config?: LlmConfig;
  /** Records that a part runs on the LLM (no reason) or offline, and why. */
  declare(part: LlmPart, offlineReason?: string): void;
  /** Records one call of an LLM part, with the reason when it fell back to its offline counterpart. */
  called(part: LlmPart, fallbackReason?: string): void;
}

/** Shared, read-only services a strategy may use. */
export interface StrategyEnv {
  counter: TokenCounter;
  /** The model the contexts are for. */
  model: string;
  /** Where strategies that keep long-term memory keep it. @default in process, per episode */
  memory?: MemoryStoreConfig;
  /** The LLM endpoint and the record of its use. @default none: every part offline */
  llm?: StrategyLlm;
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
  /** The options' schema: type, range, default and description of each (see describeOptions). */
  readonly options: OptionsSchema;
  /** The options used when the caller gives none. */
  readonly defaults: TOptions;
  /**
   * A reference context (degenerate contexts, the oracle that knows the answers): replayed and
   * reported for scale, never judged by the mission check. @default false
   */
  readonly reference?: boolean;
  /** Creates the strategy; the options are validated first (a typo or a wrong value is a ConfigError). */
  create(options: Partial<TOptions>, env: StrategyEnv): Strategy;
  /**
   * Refuses options that are valid alone but contradict the settings of one of `datasets` (a
   * strategy whose settings are tuned per dataset), so a run fails before it reads any input
   * rather than at its first conversation of that dataset.
   * @throws ConfigError naming the option, its value, the dataset and the fix
   */
  checkFor?(options: Partial<TOptions>, datasets: readonly string[]): void;
  /**
   * The settings a conversation of `dataset` runs with, where they depend on the dataset (tuned
   * per dataset), as options: given back as options they rebuild the same strategy on that
   * dataset whatever has been tuned since. The result records them (config.strategySettings).
   */
  settingsFor?(options: Partial<TOptions>, dataset: string): Record<string, unknown>;
}

/** What a strategy file declares: its name, its options' schema, and how to create it from valid options. */
export interface StrategyDefinition<S extends OptionsSchema> extends Named {
  options: S;
  /** See {@link StrategyPlugin.reference}. @default false */
  reference?: boolean;
  create(options: z.output<S>, env: StrategyEnv): Strategy;
  /** See {@link StrategyPlugin.checkFor}; the options are validated first. */
  checkFor?(options: z.output<S>, datasets: readonly string[]): void;
  /** See {@link StrategyPlugin.settingsFor}; the options are validated first. */
  settingsFor?(options: z.output<S>, dataset: string): Record<string, unknown>;
}

/** Turns a definition into a plug-in whose `create` validates its options and fills in the defaults. */
export function defineStrategy<S extends OptionsSchema>(definition: StrategyDefinition<S>): StrategyPlugin<z.output<S>> {
  return {
    name: definition.name,
    description: definition.description,
    options: definition.options,
    ...(definition.reference ? { reference: true } : {}),
    defaults: defaultOptions(definition.options),
    create: (options, env) => definition.create(parseOptions('strategy', definition.name, definition.options, options), env),
    ...(definition.checkFor
      ? { checkFor: (options: Partial<z.output<S>>, datasets: readonly string[]) => definition.checkFor!(parseOptions('strategy', definition.name, definition.options, options), datasets) }
      : {}),
    ...(definition.settingsFor
      ? { settingsFor: (options: Partial<z.output<S>>, dataset: string) => definition.settingsFor!(parseOptions('strategy', definition.name, definition.options, options), dataset) }
      : {}),
  };
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
