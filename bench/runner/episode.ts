import {
  deepFreeze,
  queryOf,
  recordedTimeOf,
  TOKENS_PER_TOOL_CALL,
  type ChatMessage,
  type Episode,
  type MemoryStoreConfig,
  type PriceTable,
  type Scenario,
  type Strategy,
  type TokenCounter,
  type TurnRow,
} from '../../core/index.js';
import { round } from '../../core/stats.js';
import { billCall, callsPerLifetime, type CacheState, type Request } from './billing.js';
import { scoreProbes } from './probes.js';
import type { TurnEvaluator } from '../answer/targets.js';

/** What every episode's replay shares: the counter, the prices and the scenario. */
export interface ReplayContext {
  counter: TokenCounter;
  prices: PriceTable;
  scenario: Scenario;
  /** Scores every replayed turn's context with a model (in-process replays only). */
  evaluator?: TurnEvaluator;
  /** Where strategies that keep long-term memory keep it. @default in process, per episode */
  memory?: MemoryStoreConfig;
}

/** Replays one episode through a strategy: one row per turn with tokens, cost, latency and probe scores. */
export async function replayEpisode(
  dataset: string,
  strategyName: string,
  strategy: Strategy,
  episode: Episode,
  { counter, prices, scenario, evaluator }: ReplayContext,
  peers: Peers = {},
): Promise<TurnRow[]> {
  // Frozen, the tool definitions are counted and normalized once per object (they are shared
  // by every episode of a dataset), and a strategy that tried to edit them would fail loudly.
  if (episode.tools) deepFreeze(episode.tools);
  const session = strategy.startEpisode(episode, peerOf(episode, peers));
  const budget = session.budget !== undefined ? session.budget : strategy.budget;
  const warm = warmRequest(episode, peers);
  const retention = scenario.cacheRetention ?? 'default';
  const billing = { counter, price: prices.priceFor(scenario.model, retention), rule: prices.cacheRule(scenario.model, retention) };
  const rows: TurnRow[] = [];
  let previous: CacheState['previous'];
  for (const [turnIndex, turn] of episode.turns.entries()) {
    const history = episode.messages.slice(0, turn.at);
    const now = recordedTimeOf(episode.messages, turn);
    // Synchronous strategies are timed without awaiting, so other episodes in flight never
    // inflate the latency; an asynchronous one is exact only at concurrency 1.
    const startedAt = performance.now();
    const pending = session.assemble({ episode, turn, turnIndex, history, query: queryOf(history, turn), now });
    const assembled = pending instanceof Promise ? await pending : pending;
    const latencyMs = performance.now() - startedAt;
    const outputTokens = outputTokensOf(episode.messages[turn.at], scenario, counter);
    const recorded = now === undefined ? NaN : Date.parse(now) / 1000;
    const at = Number.isFinite(recorded) ? recorded : (previous?.at ?? 0) + (scenario.callGapSeconds ?? 30);
    const request = { messages: assembled.messages, tools: assembled.tools };
    const { inputTokens, cachedTokens, costUsd, outputCostUsd, overWindow } = billCall(billing, request, outputTokens, at, { previous, warm });
    const row: TurnRow = {
      dataset,
      strategy: strategyName,
      episode: episode.id,
      turn: turnIndex,
      inputTokens,
      cachedTokens,
      outputTokens,
      costUsd: round(costUsd, 10),
      outputCostUsd: round(outputCostUsd, 10),
      overWindow,
      latencyMs: round(latencyMs, 4),
      budget,
      overBudget: budget !== null && inputTokens > budget,
      sections: assembled.sections,
      scores: scoreProbes(assembled, turn.probes, episode),
    };
    rows.push(row);
    evaluator?.observe({ row, context: assembled, episode, turn });
    previous = { request, at };
  }
  return rows;
}

/**
 * Two episodes of a dataset that stand for "another conversation" (each other's, and everyone
 * else's), chosen before sharding so every shard compares against the same ones; and, where the
 * scenario's traffic keeps the prefix they share with other conversations in the provider's cache,
 * the first request the strategy sends in each (assembled by the caller, once per strategy).
 */
export interface Peers {
  first?: Episode;
  second?: Episode;
  /** The first request of `first` and of `second`, when that prefix is warm. */
  warm?: { first?: Request; second?: Request };
}

/** The peer of an episode: the first episode of its dataset, or the second for the first itself. */
export function peerOf(episode: Readonly<Episode>, peers: Peers): Episode | undefined {
  return episode.id === peers.first?.id ? peers.second : peers.first;
}

/** The warm request of another conversation, for an episode. */
function warmRequest(episode: Readonly<Episode>, peers: Peers): Request | undefined {
  return episode.id === peers.first?.id ? peers.warm?.second : peers.warm?.first;
}

/**
 * The first request a strategy sends in each peer episode, when at least one call with the prefix
 * they share comes per cache lifetime (every conversation makes at least one call); none otherwise.
 */
export async function warmRequests(strategy: Strategy, peers: Peers, { prices, scenario }: ReplayContext): Promise<Peers['warm']> {
  const rule = prices.cacheRule(scenario.model, scenario.cacheRetention ?? 'default');
  if (callsPerLifetime(scenario.conversationsPerMonth, 1, rule.lifetimeSeconds) < 1) return undefined;
  const firstRequest = async (episode: Episode | undefined): Promise<Request | undefined> => {
    const turn = episode?.turns[0];
    if (!episode || !turn) return undefined;
    if (episode.tools) deepFreeze(episode.tools);
    const history = episode.messages.slice(0, turn.at);
    const assembled = await strategy.startEpisode(episode, peerOf(episode, peers)).assemble({ episode, turn, turnIndex: 0, history, query: queryOf(history, turn), now: recordedTimeOf(episode.messages, turn) });
    return { messages: assembled.messages, tools: assembled.tools };
  };
  return { first: await firstRequest(peers.first), second: await firstRequest(peers.second) };
}

/** Tokens the recorded agent generated at this turn, or the scenario's default when there is no recording. */
function outputTokensOf(recorded: ChatMessage | undefined, scenario: Scenario, counter: TokenCounter): number {
  if (!recorded || recorded.role !== 'assistant' || scenario.overrideRecordedOutput) return scenario.outputTokensPerCall;
  const calls = (recorded.tool_calls ?? []).reduce((sum, call) => sum + TOKENS_PER_TOOL_CALL + counter.count(call.function.name) + counter.count(call.function.arguments), 0);
  return counter.count(recorded.content ?? '') + calls;
}
