import {
  ConfigError,
  PriceTable,
  sharedCounter,
  type DatasetLoader,
  type Episode,
  type LlmConfig,
  type MemoryStoreConfig,
  RESULT_SCHEMA_VERSION,
  TECHCORP_SCENARIO,
  type ProbeMetric,
  type Registry,
  type RunResult,
  type Scenario,
  type TurnRow,
  type Strategy,
  type StrategyPlugin,
} from '../../core/index.js';
import { Aggregator } from './aggregate.js';
import { missionChecks } from './verdict.js';
import { datasetPasses, type DatasetSummary } from './source.js';
import { ctxbenchVersion, gitCommit, machineInfo } from './environment.js';
import { type Peers, type ReplayContext } from './episode.js';
import { LlmUsage } from './llm-usage.js';
import { planRun } from './plan.js';
import { inProcessReplayer, workerReplayer } from './pool.js';
import type { TurnEvaluator } from '../answer/targets.js';
import { inOrder, type Limits } from './schedule.js';
import { strategies as bundledStrategies } from '../../strategies/index.js';

/** The module the bundled strategy registry comes from, for worker threads. */
const BUNDLED_STRATEGIES = new URL('../../strategies/index.ts', import.meta.url).href;

import { round } from '../../core/stats.js';

/** A plug-in chosen by name, with options that override its defaults. */
export interface Selection {
  name: string;
  options?: Record<string, unknown>;
}

/** Progress of one dataset x strategy pair, reported after every batch of episodes. */
export interface Progress {
  dataset: string;
  strategy: string;
  turnsDone: number;
  /** The pair's turns; undefined while a streamed dataset is read for the first time. */
  turnsTotal: number | undefined;
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
   * Worker threads replaying episodes at once (1: replay in this thread). Each turn is timed in
   * the thread that replays it, and the result is the same at any concurrency apart from timings.
   * @default 1
   */
  concurrency?: number;
  /**
   * URL of a module that exports the strategy registry as `strategies`, for the worker threads
   * to create strategies from. @default the bundled registry's module, when `registries.strategies` is it
   */
  strategyModule?: string;
  /** Keep per-turn rows in the result (unless `onTurns` takes them). @default true */
  perTurn?: boolean;
  /**
   * Receives every episode's turn rows as they come, in the order of the result, instead of the
   * result keeping them: a long replay then holds no rows (write them to a file).
   */
  onTurns?: (rows: readonly TurnRow[]) => void;
  /** Replay only episode i of every n (1-based), as vitest's --shard. */
  shard?: { index: number; count: number };
  prices?: PriceTable;
  /** Where strategies that keep long-term memory keep it. @default in process, per episode */
  memory?: MemoryStoreConfig;
  /** Stops starting new episodes; what finished is kept. */
  signal?: AbortSignal;
  /** The endpoint of the strategies' LLM-backed parts; with one, the replay runs in this thread. @default none: every part runs offline */
  llm?: LlmConfig;
  onProgress?: (progress: Progress) => void;
  /**
   * Scores every replayed turn's context with a model (ctxbench run --answer-model). The replay then
   * runs in this thread, and rows are aggregated and handed to `onTurns` once they are scored.
   */
  evaluator?: TurnEvaluator;
}

/** Turns a batch of episodes aims at: enough that posting it to a worker costs little next to replaying it. */
const BATCH_TURNS = 24;
/** Batches started and not yet handed on in a replay in this thread: keeps memory bounded. */
const WINDOW_IN_PROCESS = 16;
/**
 * Turns started and not yet handed on, per worker thread: enough that while one pair stays on
 * its home thread for a long set-up (banking77's router trains for about 10 s), the other thread
 * has later pairs' batches to replay; results are still handed on in order, and memory bounded.
 */
const WINDOW_TURNS_PER_THREAD = 12_000;

/** One dataset x strategy pair, in the order of the result. */
interface Pair {
  dataset: string;
  strategy: Selection;
  create: () => Strategy;
  /** Two episodes of the pair's dataset that stand for other conversations. */
  peers: Peers;
  /** Its dataset's summary, complete once the dataset was read once. */
  summary: DatasetSummary & { complete: boolean };
  turnsDone: number;
  aggregator: Aggregator;
}

type Batch = { pair: Pair; episodes: Episode[]; turns: number };

/** Replays every selected dataset through every selected strategy and returns the versioned result. */
export async function runBenchmark(options: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const scenario = options.scenario ?? TECHCORP_SCENARIO;
  const seed = options.seed ?? 1;
  const prices = options.prices ?? new PriceTable();
  prices.get(scenario.model);
  // Everything is checked (plug-ins, options, input files, concurrency, shard) before any work is
  // done, the tokenizer's tables loaded included.
  const plan = await planRun({ ...options, model: scenario.model, prices });
  const context: ReplayContext = { counter: sharedCounter(scenario.model), prices, scenario, ...(options.memory ? { memory: options.memory } : {}), ...(options.evaluator ? { evaluator: options.evaluator } : {}) };
  const llm = new LlmUsage(options.llm);
  // LLM-backed parts and the answer evaluation keep their records in this thread: with either, the replay stays here.
  const concurrency = options.llm || options.evaluator ? 1 : (options.concurrency ?? 1);
  const plugins = plan.strategies.map(({ plugin, options: validated }) => ({ plugin, selection: { name: plugin.name, options: validated } }));
  // Each strategy declares here which of its parts run on the LLM, whichever thread replays it.
  for (const { plugin, selection } of plugins) plugin.create(selection.options, { counter: context.counter, model: scenario.model, llm: llm.forStrategy(plugin.name) });
  const strategyModule = options.strategyModule ?? (options.registries.strategies === bundledStrategies ? BUNDLED_STRATEGIES : undefined);
  if (concurrency > 1 && !strategyModule) {
    throw new ConfigError('a strategy registry other than the bundled one cannot be replayed in worker threads', 'pass strategyModule (the URL of the module that exports it as `strategies`), or concurrency 1');
  }

  const summaries: Array<DatasetSummary & { complete: boolean }> = [];
  // Keyed by dataset and strategy, in first-seen order: the order of the result's aggregates.
  const aggregators = new Map<string, Aggregator>();
  const aggregatorOf = (dataset: string, strategy: string) => {
    const key = `${dataset}\u0000${strategy}`;
    let aggregator = aggregators.get(key);
    if (!aggregator) aggregators.set(key, (aggregator = new Aggregator()));
    return aggregator;
  };
  async function* batches(): AsyncGenerator<Batch> {
    for (const { loader, options: loadOptions, inputs, loaded } of plan.datasets) {
      const passes = await datasetPasses(loader, loadOptions, options.shard, loaded);
      passes.summary.inputs = inputs;
      summaries.push(passes.summary);
      const peers = await passes.peers();
      for (const { plugin, selection: strategy } of plugins) {
        const pass = passes.next();
        const pair: Pair = {
          dataset: pass.name,
          strategy,
          summary: passes.summary,
          peers,
          turnsDone: 0,
          aggregator: aggregatorOf(pass.name, strategy.name),
          create: () => plugin.create(strategy.options ?? {}, { counter: context.counter, model: scenario.model, llm: llm.forStrategy(plugin.name), ...(options.memory ? { memory: options.memory } : {}) }),
        };
        yield* batchesOf(pair, pass.episodes, concurrency > 1 ? BATCH_TURNS : 0);
      }
    }
  }

  const kept: TurnRow[] = [];
  const keep = options.perTurn !== false && !options.onTurns;
  let turns = 0;
  // With an answer evaluation, rows wait for their answer scores before they are aggregated or written.
  const held: Array<{ pair: Pair; rows: TurnRow[] }> = [];
  const take = (pair: Pair, rows: TurnRow[]) => {
    for (const row of rows) pair.aggregator.add(row);
    if (options.onTurns) options.onTurns(rows);
    else if (keep) kept.push(...rows);
  };
  const replayer = concurrency > 1 ? workerReplayer(context, concurrency, strategyModule!, options.signal) : inProcessReplayer(context);
  try {
    // Worker threads take every batch the window allows and queue it on a thread (see workerReplayer).
    const limits: Limits<Batch> =
      concurrency > 1
        ? { parallel: Infinity, window: concurrency * WINDOW_TURNS_PER_THREAD, weigh: (batch) => batch.turns, signal: options.signal }
        : { parallel: 1, window: WINDOW_IN_PROCESS, signal: options.signal };
    const replay = ({ pair, episodes, turns }: Batch) => replayer.replay({ dataset: pair.dataset, strategy: pair.strategy, create: pair.create, episodes, turns, peers: pair.peers });
    for await (const { item, result } of inOrder(batches(), replay, limits)) {
      const { pair } = item;
      for (const rows of result) {
        if (options.evaluator) held.push({ pair, rows });
        else take(pair, rows);
        pair.turnsDone += rows.length;
        turns += rows.length;
      }
      options.onProgress?.({ dataset: pair.dataset, strategy: pair.strategy.name, turnsDone: pair.turnsDone, turnsTotal: pair.summary.complete ? pair.summary.turns : undefined });
    }
  } finally {
    await replayer.close();
  }
  const evaluation = await options.evaluator?.finish(options.signal);
  for (const { pair, rows } of held) take(pair, rows);

  const references = new Set(plugins.filter(({ plugin }) => plugin.reference).map(({ plugin }) => plugin.name));
  const live = [...aggregators.entries()].filter(([, a]) => a.turns > 0);
  const aggregates = live.map(([key, a]) => a.result(seed, references.has(key.split('\u0000')[1]!)));
  const scores = (dataset: string, strategy: string, metric: ProbeMetric) => aggregators.get(`${dataset}\u0000${strategy}`)?.episodeMeans(metric) ?? new Map<string, number>();
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
      datasetOptions: plan.recordedOptions.datasets,
      strategyOptions: plan.recordedOptions.strategies,
      ...(Object.keys(plan.recordedOptions.settings).length > 0 ? { strategySettings: plan.recordedOptions.settings } : {}),
    },
    machine: machineInfo(),
    timing: { startedAt: new Date(started).toISOString(), durationMs, turnsPerSecond: round(turns / Math.max(durationMs / 1000, 1e-3), 1) },
    datasets: summaries.map(({ complete: _complete, ...summary }) => summary),
    aggregates,
    mission: missionChecks(aggregates, scores, scenario, seed),
    llm: llm.toRecord(),
    ...(keep ? { turns: kept } : {}),
    ...(evaluation ? { evaluation } : {}),
    interrupted: options.signal?.aborted ?? false,
  };
}

/** A pair's episodes, read one at a time, in consecutive batches of about `turns` turns (one episode per batch at 0). */
async function* batchesOf(pair: Pair, episodes: AsyncIterable<Episode>, turns: number): AsyncGenerator<Batch> {
  let batch: Episode[] = [];
  let batchTurns = 0;
  for await (const episode of episodes) {
    batch.push(episode);
    batchTurns += episode.turns.length;
    if (batchTurns >= turns) {
      yield { pair, episodes: batch, turns: batchTurns };
      batch = [];
      batchTurns = 0;
    }
  }
  if (batch.length > 0) yield { pair, episodes: batch, turns: batchTurns };
}
