import {
  callCost,
  cachedPrefixTokens,
  queryOf,
  recordedTimeOf,
  sharedPrefixTokens,
  TOKENS_PER_TOOL_CALL,
  type ChatMessage,
  type Episode,
  type PriceTable,
  type Scenario,
  type Strategy,
  type TokenCounter,
  type TurnRow,
} from '../../core/index.js';
import { round } from '../../core/stats.js';
import { scoreProbes } from './probes.js';

/** What every episode's replay shares: the counter, the prices and the scenario. */
export interface ReplayContext {
  counter: TokenCounter;
  prices: PriceTable;
  scenario: Scenario;
}

/** Replays one episode through a strategy: one row per turn with tokens, cost, latency and probe scores. */
export async function replayEpisode(dataset: string, strategyName: string, strategy: Strategy, episode: Episode, { counter, prices, scenario }: ReplayContext): Promise<TurnRow[]> {
  const session = strategy.startEpisode(episode);
  const price = prices.get(scenario.model);
  const rule = prices.cacheRule(scenario.model);
  const rows: TurnRow[] = [];
  let previous: ChatMessage[] | undefined;
  for (const [turnIndex, turn] of episode.turns.entries()) {
    const history = episode.messages.slice(0, turn.at);
    // Synchronous strategies are timed without awaiting, so other episodes in flight never
    // inflate the latency; an asynchronous one is exact only at concurrency 1.
    const startedAt = performance.now();
    const pending = session.assemble({ episode, turn, turnIndex, history, query: queryOf(history, turn), now: recordedTimeOf(episode.messages, turn) });
    const assembled = pending instanceof Promise ? await pending : pending;
    const latencyMs = performance.now() - startedAt;
    const inputTokens = counter.countRequest(assembled.messages, assembled.tools);
    const cachedTokens = Math.min(inputTokens, cachedPrefixTokens(sharedPrefixTokens(previous, assembled.messages, counter), rule));
    const outputTokens = outputTokensOf(episode.messages[turn.at], scenario, counter);
    rows.push({
      dataset,
      strategy: strategyName,
      episode: episode.id,
      turn: turnIndex,
      inputTokens,
      cachedTokens,
      outputTokens,
      costUsd: round(callCost(price, { input: inputTokens, cached: cachedTokens, output: outputTokens }), 10),
      latencyMs: round(latencyMs, 4),
      budget: strategy.budget,
      overBudget: strategy.budget !== null && inputTokens > strategy.budget,
      sections: assembled.sections,
      scores: scoreProbes(assembled, turn.probes, episode),
    });
    previous = assembled.messages;
  }
  return rows;
}

/** Tokens the recorded agent generated at this turn, or the scenario's default when there is no recording. */
function outputTokensOf(recorded: ChatMessage | undefined, scenario: Scenario, counter: TokenCounter): number {
  if (!recorded || recorded.role !== 'assistant' || scenario.overrideRecordedOutput) return scenario.outputTokensPerCall;
  const calls = (recorded.tool_calls ?? []).reduce((sum, call) => sum + TOKENS_PER_TOOL_CALL + counter.count(call.function.name) + counter.count(call.function.arguments), 0);
  return counter.count(recorded.content ?? '') + calls;
}
