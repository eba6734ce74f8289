import {
  ConfigError,
  PriceTable,
  queryOf,
  recordedTimeOf,
  sharedCounter,
  TOKENS_PER_TOOL_CALL,
  type ChatMessage,
  type DatasetLoader,
  type Episode,
  type LoadedDataset,
  RESULT_SCHEMA_VERSION,
  TECHCORP_SCENARIO,
  type Registry,
  type RunResult,
  type Scenario,
  type TurnRow,
  type Strategy,
  type StrategyPlugin,
  type TokenCounter,
} from '../../core/index.js';
import { aggregate, groupRows } from './aggregate.js';
import { missionChecks } from './verdict.js';
import { ctxbenchVersion, gitCommit, machineInfo } from './environment.js';
import { billCall, callsPerLifetime, type CacheState, type Request } from './billing.js';
import { scoreProbes } from './probes.js';
import type { TurnEvaluator } from '../answer/targets.js';

import { round } from '../../core/stats.js';

/** A plug-in chosen by name, with options that override its defaults. */
export interface Selection {
  name: string;
  options?: Record<string, unknown>;
}

/** Progress of one dataset x strategy pair, reported after every episode. */
export interface Progress {
  dataset: string;
  strategy: string;
  turnsDone: number;
  turnsTotal: number;
}

/** Everything a replay needs. */
export interface RunOptions {
  datasets: Selection[];
  strategies: Selection[];
  registries: {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- plug-ins have their own option types
    datasets: Registry<DatasetLoader<any>>;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    strategies: Registry<StrategyPlugin<any>>;
  };
  /** @default TECHCORP_SCENARIO */
  scenario?: Scenario;
  /** Seeds the bootstrap intervals. @default 1 */
  seed?: number;
  /**
   * Episodes replayed at once per strategy. Offline strategies are CPU-bound on one thread, so
   * more only helps strategies that wait on a remote endpoint; the latency of an asynchronous
   * strategy then includes the other episodes' work. @default 1
   */
  concurrency?: number;
  /** Keep per-turn rows in the result. @default true */
  perTurn?: boolean;
  /** Replay only episode i of every n (1-based), as vitest's --shard. */
  shard?: { index: number; count: number };
  prices?: PriceTable;
  /** Stops starting new episodes; what finished is kept. */
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
  /** Scores every replayed turn's context with a model (ctxbench run --answer-model). */
  evaluator?: TurnEvaluator;
}

interface ReplayContext {
  counter: TokenCounter;
  prices: PriceTable;
  scenario: Scenario;
  evaluator?: TurnEvaluator;
}

/** Per dataset: two episodes that stand for "another conversation" (each other's, and everyone else's). */
interface Peers {
  first?: Episode;
  second?: Episode;
  /** Mean calls a conversation makes on this dataset, for the traffic that keeps shared prefixes warm. */
  callsPerConversation: number;
}

const peerOf = (episode: Readonly<Episode>, peers: Peers) => (episode.id === peers.first?.id ? peers.second : peers.first);

/** Replays every selected dataset through every selected strategy and returns the versioned result. */
export async function runBenchmark(options: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const scenario = options.scenario ?? TECHCORP_SCENARIO;
  const seed = options.seed ?? 1;
  const prices = options.prices ?? new PriceTable();
  prices.get(scenario.model);
  const context: ReplayContext = { counter: sharedCounter(scenario.model), prices, scenario, evaluator: options.evaluator };
  const plugins = options.strategies.map((s) => ({ plugin: options.registries.strategies.get(s.name), options: s.options }));
  const repeated = options.strategies.map((s) => s.name).find((name, i, names) => names.indexOf(name) !== i);
  if (repeated) throw new ConfigError(`strategy "${repeated}" is selected twice`, 'compare option variants in separate runs, or register the variant under its own name');
  validateShard(options.shard);

  const loaded: LoadedDataset[] = [];
  const rows: TurnRow[] = [];
  for (const selection of options.datasets) {
    const loader = options.registries.datasets.get(selection.name);
    const dataset = await loader.load({ ...loader.defaults(), ...selection.options });
    const episodes = options.shard ? dataset.episodes.filter((_, i) => i % options.shard!.count === options.shard!.index - 1) : dataset.episodes;
    loaded.push({ ...dataset, episodes });
    // Chosen before sharding, so every shard prices and compares against the same peers.
    const peers: Peers = {
      first: dataset.episodes[0],
      second: dataset.episodes[1],
      callsPerConversation: dataset.episodes.reduce((sum, e) => sum + e.turns.length, 0) / Math.max(1, dataset.episodes.length),
    };
    for (const { plugin, options: strategyOptions } of plugins) {
      const strategy = plugin.create({ ...plugin.defaults, ...strategyOptions }, { counter: context.counter, model: scenario.model });
      rows.push(...(await replayStrategy(dataset.name, plugin.name, strategy, episodes, context, options, peers)));
    }
  }

  const evaluation = await options.evaluator?.finish(options.signal);
  const references = new Set(plugins.filter(({ plugin }) => plugin.reference).map(({ plugin }) => plugin.name));
  const aggregates = groupRows(rows).map((group) => aggregate(group, seed, references.has(group[0]!.strategy)));
  const durationMs = Date.now() - started;
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    ctxbenchVersion: ctxbenchVersion(),
    gitCommit: gitCommit(),
    config: {
      datasets: options.datasets.map((d) => d.name),
      strategies: options.strategies.map((s) => s.name),
      model: scenario.model,
      scenario,
      seed,
      shard: options.shard ?? null,
      datasetOptions: Object.fromEntries(options.datasets.map((d) => [d.name, d.options ?? {}])),
      strategyOptions: Object.fromEntries(options.strategies.map((s) => [s.name, s.options ?? {}])),
    },
    machine: machineInfo(),
    timing: { startedAt: new Date(started).toISOString(), durationMs, turnsPerSecond: round(rows.length / Math.max(durationMs / 1000, 1e-3), 1) },
    datasets: loaded.map((d) => ({ name: d.name, episodes: d.episodes.length, turns: d.episodes.reduce((sum, e) => sum + e.turns.length, 0), skipped: d.skipped, notes: d.notes ?? [] })),
    aggregates,
    mission: missionChecks(aggregates, rows, scenario, seed),
    ...(options.perTurn === false ? {} : { turns: rows }),
    ...(evaluation ? { evaluation } : {}),
    interrupted: options.signal?.aborted ?? false,
  };
}

async function replayStrategy(dataset: string, strategyName: string, strategy: Strategy, episodes: readonly Episode[], context: ReplayContext, options: RunOptions, peers: Peers): Promise<TurnRow[]> {
  const warm = await warmRequests(strategy, peers, context);
  const turnsTotal = episodes.reduce((sum, e) => sum + e.turns.length, 0);
  const perEpisode: TurnRow[][] = new Array(episodes.length);
  let turnsDone = 0;
  let next = 0;
  let yielded = performance.now();
  const worker = async () => {
    while (next < episodes.length && !options.signal?.aborted) {
      const index = next++;
      const episode = episodes[index]!;
      perEpisode[index] = await replayEpisode(dataset, strategyName, strategy, episode, context, peerOf(episode, peers), episode.id === peers.first?.id ? warm.forFirst : warm.forOthers);
      turnsDone += perEpisode[index]!.length;
      options.onProgress?.({ dataset, strategy: strategyName, turnsDone, turnsTotal });
      // Synchronous strategies never give the event loop a turn; yield now and then so that
      // Ctrl-C (and anything else waiting on the loop) is handled during a long replay.
      if (performance.now() - yielded > 50) {
        await new Promise((resolve) => setImmediate(resolve));
        yielded = performance.now();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 1) }, worker));
  return perEpisode.filter(Boolean).flat();
}

/**
 * The requests of other conversations whose shared prefix (system prompt, tools, static knowledge)
 * the scenario's traffic keeps in the provider's cache: the first call of a peer episode, when at
 * least one such call comes per cache lifetime; none otherwise.
 */
async function warmRequests(strategy: Strategy, peers: Peers, { prices, scenario }: ReplayContext): Promise<{ forFirst?: Request; forOthers?: Request }> {
  const rule = prices.cacheRule(scenario.model, scenario.cacheRetention);
  if (callsPerLifetime(scenario.conversationsPerMonth, peers.callsPerConversation, rule.lifetimeSeconds) < 1) return {};
  const firstRequest = async (episode: Episode | undefined): Promise<Request | undefined> => {
    const turn = episode?.turns[0];
    if (!episode || !turn) return undefined;
    const history = episode.messages.slice(0, turn.at);
    const assembled = await strategy.startEpisode(episode, peerOf(episode, peers)).assemble({ episode, turn, turnIndex: 0, history, query: queryOf(history, turn), now: recordedTimeOf(episode.messages, turn) });
    return { messages: assembled.messages, tools: assembled.tools };
  };
  return { forFirst: await firstRequest(peers.second), forOthers: await firstRequest(peers.first) };
}

async function replayEpisode(dataset: string, strategyName: string, strategy: Strategy, episode: Episode, { counter, prices, scenario, evaluator }: ReplayContext, peer: Episode | undefined, warm: Request | undefined): Promise<TurnRow[]> {
  const session = strategy.startEpisode(episode, peer);
  const billing = { counter, price: prices.priceFor(scenario.model, scenario.cacheRetention), rule: prices.cacheRule(scenario.model, scenario.cacheRetention) };
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
    const at = Number.isFinite(recorded) ? recorded : (previous?.at ?? 0) + scenario.callGapSeconds;
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
      budget: strategy.budget,
      overBudget: strategy.budget !== null && inputTokens > strategy.budget,
      sections: assembled.sections,
      scores: scoreProbes(assembled, turn.probes, episode),
    };
    rows.push(row);
    evaluator?.observe({ row, context: assembled, episode, turn });
    previous = { request, at };
  }
  return rows;
}

/** Tokens the recorded agent generated at this turn, or the scenario's default when there is no recording. */
function outputTokensOf(recorded: ChatMessage | undefined, scenario: Scenario, counter: TokenCounter): number {
  if (!recorded || recorded.role !== 'assistant' || scenario.overrideRecordedOutput) return scenario.outputTokensPerCall;
  const calls = (recorded.tool_calls ?? []).reduce((sum, call) => sum + TOKENS_PER_TOOL_CALL + counter.count(call.function.name) + counter.count(call.function.arguments), 0);
  return counter.count(recorded.content ?? '') + calls;
}

function validateShard(shard: RunOptions['shard']): void {
  if (shard && !(Number.isInteger(shard.index) && Number.isInteger(shard.count) && shard.count >= 1 && shard.index >= 1 && shard.index <= shard.count)) {
    throw new ConfigError(`invalid shard ${shard.index}/${shard.count}`, 'use --shard i/n with 1 <= i <= n, for example --shard 1/3');
  }
}
