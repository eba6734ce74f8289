/**
 * Chooses the production strategy's settings per dataset on its development split, never on the
 * turns the default replay reports, and writes them to strategies/production-settings.ts.
 *   npm run tune:production [-- --dataset tau-bench-airline] [--dry-run]
 * For each dataset it replays naive once and production once per point of a small grid (every
 * tunable setting given explicitly, so earlier tuned values play no part), prints the grid and
 * picks by the dataset's rule:
 * - tau-bench airline (dev = tasks 0, 5, ..., 45: 40 trajectories): the cheapest setting whose
 *   conversation facts are within 2 points of naive by the paired 95% interval (its lower bound of
 *   production - naive, over episodes, at -0.02 or above; the mean alone lands the cheapest of 96
 *   points at the edge, and the reported split on the wrong side of it as often as not) and whose
 *   other fidelity metrics are within 2 points of naive's mean;
 * - chat logs (openai-jsonl; dev = the tau-bench dev trajectories as a chat log without tools):
 *   the cheapest setting no more expensive than naive with fidelity as for tau-bench;
 * - LoCoMo (dev = conversations 26 and 30): the highest evidence recall at <= 1,800 tokens a
 *   question (Mem0's 1,764 on the same conversations), cost breaking ties;
 * - SGD (dev = the train split's tuning fold; its router fold trains the router, as for
 *   npm run tune:tools, which chose the tool router's own settings there): as for tau-bench.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FIDELITY_METRICS, type Aggregate } from '../core/index.js';
import { datasets } from '../datasets/index.js';
import { bundledLocomoFiles, LOCOMO_DEV_FILES } from '../datasets/locomo.js';
import { DEV_TASK_STRIDE } from '../datasets/tau-bench.js';
import { strategies } from '../strategies/index.js';
import { PRODUCTION_DEFAULTS, type TunedSettings } from '../strategies/production-settings.js';
import { writeChatLog } from './chat-log.js';
import { machine } from './micro/print.js';
import { runBenchmark, type Selection } from './runner/run.js';
import { writeTrainFolds } from './tune-tools.js';
import { pairedDifference, scoresFromRows } from './runner/verdict.js';

type Settings = typeof PRODUCTION_DEFAULTS;

/** How one dataset is tuned: its development data, the grid, and the rule that picks a point. */
export interface TuningPlan {
  dataset: Selection;
  chosenOn: string;
  grid: Partial<{ [K in keyof Settings]: Array<Settings[K]> }>;
  /** Writes the development data first, where it is made from other data. */
  prepare?: () => Promise<void>;
  /** Metrics held to the best point where no point reaches naive (see meanReferences); printed beside the table. */
  bestHeld?: readonly string[];
  /** The best eligible point, or undefined when none is eligible (the same rule tunes the baselines, see bench/tune-baselines.ts). */
  pick: <S>(points: readonly Point<S>[], naive: Measured) => Point<S> | undefined;
}

/** One replay: its aggregate and each episode's mean of every fidelity metric it scored (metric -> episode -> mean). */
export interface Measured {
  aggregate: Aggregate;
  episodes: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

/** One measured grid point: a strategy's settings (production's unless said) and what they gave. */
export interface Point<S = Settings> extends Measured {
  settings: S;
}

const mean = (aggregate: Aggregate, metric: string) => aggregate.metrics[metric as keyof Aggregate['metrics']]?.mean;

/** Most a fidelity metric may lose against naive: the issue's 2 points. */
const TOLERANCE = 0.02;

/**
 * The lower bound of the paired 95% bootstrap interval of point - naive on `metric`, over the
 * episodes both scored; undefined when naive scores no episode on it, -Infinity when the point
 * scores none of naive's episodes.
 */
export function pairedLowerBound(point: Measured, naive: Measured, metric: string): number | undefined {
  const reference = naive.episodes.get(metric);
  if (!reference || reference.size === 0) return undefined;
  const seed = 7 + FIDELITY_METRICS.indexOf(metric as (typeof FIDELITY_METRICS)[number]);
  return pairedDifference(reference, point.episodes.get(metric) ?? new Map<string, number>(), seed)?.estimate.ci95[0] ?? -Infinity;
}

/** Metrics held by the paired interval: the issue's 2-point bar is on conversation facts. */
const INTERVAL_METRICS: readonly string[] = ['factRetention'];

/**
 * Every fidelity metric naive scores within 2 points of naive: conversation facts by the paired
 * interval (the lower bound of production - naive at -0.02 or above, so that a point is not chosen
 * for a lucky mean on the development split), the others by their mean, against `references`
 * (naive's means unless given; see meanReferences). The others (policy and tool presence) follow
 * the routing, which none of the tuned settings changes: on tau-bench's dev split one conversation
 * routed elsewhere puts their interval 4.9 points down at every point, while the verdict holds
 * them to 5 points by the interval on the reported turns.
 */
export function withinOfNaive(point: Measured, naive: Measured, references?: ReadonlyMap<string, number>): boolean {
  return FIDELITY_METRICS.every((metric) => {
    if (INTERVAL_METRICS.includes(metric)) {
      const bound = pairedLowerBound(point, naive, metric);
      return bound === undefined || bound >= -TOLERANCE;
    }
    const reference = references ? references.get(metric) : mean(naive.aggregate, metric);
    if (reference === undefined) return true;
    const value = mean(point.aggregate, metric);
    return value !== undefined && value >= reference - TOLERANCE;
  });
}

/**
 * What each metric held by its mean is held to: naive's mean, or, for a metric of `bestHeld` that
 * no point of the grid brings within 2 points of it, the best any point reached. Such a metric
 * follows something the grid does not tune: on SGD's tuning fold tool presence is 0.958 at every
 * point of production's grid, set by the tool router, whose own settings `npm run tune:tools`
 * chose with the same fallback (within 2 points of the best setting when none comes within 2
 * points of naive). Only the metrics a plan names may fall back, so a grid that happens to miss
 * naive on another metric finds no eligible point rather than a quietly lower bar; conversation
 * facts, held by the interval, never do.
 */
export function meanReferences(points: readonly Measured[], naive: Measured, bestHeld: readonly string[] = []): Map<string, number> {
  const references = new Map<string, number>();
  for (const metric of FIDELITY_METRICS) {
    const reference = mean(naive.aggregate, metric);
    if (reference === undefined || INTERVAL_METRICS.includes(metric)) continue;
    const best = Math.max(...points.map((point) => mean(point.aggregate, metric) ?? -Infinity));
    references.set(metric, bestHeld.includes(metric) && best < reference - TOLERANCE ? best : reference);
  }
  return references;
}

/** The metrics `meanReferences` holds to the best point rather than to naive, with that best mean: printed beside a tuning table. */
export function heldToBest(points: readonly Measured[], naive: Measured, bestHeld: readonly string[]): string[] {
  const references = meanReferences(points, naive, bestHeld);
  return bestHeld.flatMap((metric) => {
    const reference = references.get(metric);
    const naiveMean = mean(naive.aggregate, metric);
    return reference !== undefined && naiveMean !== undefined && reference !== naiveMean ? [`${metric} held to the best point's ${reference.toFixed(3)} (naive ${naiveMean.toFixed(3)}; no point within 2 points of it)`] : [];
  });
}

/** The points within 2 points of naive, each metric held by its mean against meanReferences. */
const withinOfReferences = <S>(points: readonly Point<S>[], naive: Measured, bestHeld: readonly string[] = []) => {
  const references = meanReferences(points, naive, bestHeld);
  return points.filter((point) => withinOfNaive(point, naive, references));
};

const cheapest = <S>(points: readonly Point<S>[]) => [...points].sort((a, b) => a.aggregate.costPerConversation - b.aggregate.costPerConversation)[0];

/** Every combination of the grid's values over `base`, in grid order. */
export function gridOver<S extends object>(base: S, grid: Partial<{ [K in keyof S]: Array<S[K]> }>): S[] {
  let points: S[] = [{ ...base }];
  for (const [key, values] of Object.entries(grid) as Array<[keyof S, unknown[]]>) {
    points = points.flatMap((point) => values.map((value) => ({ ...point, [key]: value })));
  }
  return points;
}

/** Every combination of the grid's values over production's defaults, in grid order. */
export function gridPoints(grid: TuningPlan['grid']): Settings[] {
  return gridOver({ ...PRODUCTION_DEFAULTS }, grid);
}

/** Where the development chat log is written before its plan runs. */
const DEV_CHAT_LOG = join(tmpdir(), 'ctxbench-chat-log-dev.jsonl');

/** The bundled SGD train split, whose folds are SGD's development data (as for npm run tune:tools). */
const SGD_TRAIN = fileURLToPath(new URL('../datasets/data/sgd/train', import.meta.url));
/** Where the SGD train split's folds are written before its plan runs. */
const SGD_DEV = join(tmpdir(), 'ctxbench-sgd-dev');

/** The SGD metric held to the best point where none reaches naive: tool presence, set by the tool router (see meanReferences). */
const SGD_BEST_HELD: readonly string[] = ['toolPresence'];

/** The rule of tau-bench: the cheapest point within 2 points of naive (see withinOfNaive). */
const cheapestWithinOfNaive = <S>(points: readonly Point<S>[], naive: Measured) => cheapest(withinOfReferences(points, naive));

export const TUNING_PLANS: Record<string, TuningPlan> = {
  'tau-bench-airline': {
    dataset: { name: 'tau-bench-airline', options: { split: 'dev' } },
    chosenOn: `tau-bench airline dev split: tasks whose id is a multiple of ${DEV_TASK_STRIDE} (40 trajectories); the other 160 are reported`,
    grid: {
      routeTools: [true, false],
      toolRouting: ['message', 'conversation'],
      keepIntents: [1, 3],
      workingTokens: [700, 1000, 1500],
      summaryTokens: [500, 800],
      summaryUpdate: ['rewrite', 'append'],
      memoryTokens: [0],
      compactAtChange: [1, 0.5],
    },
    pick: cheapestWithinOfNaive,
  },
  sgd: {
    dataset: {
      name: 'sgd',
      options: { schema: join(SGD_TRAIN, 'schema.json'), dialogues: join(SGD_DEV, 'dialogues_tuning.json'), trainSchema: join(SGD_TRAIN, 'schema.json'), trainDialogues: join(SGD_DEV, 'dialogues_router.json') },
    },
    chosenOn: 'SGD train split: its tuning fold (half of its dialogues by a hash of their id, as for npm run tune:tools) is replayed, the other half trains the router; the dev split (300 dialogues) is reported',
    grid: { workingTokens: [700, 1000, 2000], summaryUpdate: ['rewrite', 'append'], memoryTokens: [0, 1800], keepIntents: [1, 3], compactAtChange: [1, 0.5] },
    bestHeld: SGD_BEST_HELD,
    pick: (points, naive) => cheapest(withinOfReferences(points, naive, SGD_BEST_HELD)),
    prepare: async () => {
      mkdirSync(SGD_DEV, { recursive: true });
      await writeTrainFolds(SGD_TRAIN, SGD_DEV);
    },
  },
  'openai-jsonl': {
    dataset: { name: 'openai-jsonl', options: { file: DEV_CHAT_LOG } },
    chosenOn: `a chat log without tools made from the tau-bench airline dev trajectories (bench/chat-log.ts); the reported chat log is made from the test trajectories`,
    grid: { workingTokens: [1000, 2000, 3000], summaryTokens: [250, 500], memoryTokens: [0, 600] },
    pick: (points, naive) => cheapest(withinOfReferences(points, naive).filter((point) => point.aggregate.costPerConversation <= naive.aggregate.costPerConversation)),
    prepare: async () => {
      await writeChatLog(DEV_CHAT_LOG, 'dev');
    },
  },
  locomo: {
    dataset: { name: 'locomo', options: { files: bundledLocomoFiles('dev') } },
    chosenOn: `LoCoMo dev split: conversations ${LOCOMO_DEV_FILES.join(' and ')}; the other eight are reported`,
    grid: { workingTokens: [100, 300], summaryTokens: [0], memoryTokens: [1400, 1650], memoryRecency: [0, 0.2], memoryImportance: [0], memoryNeighbours: [1, 2], memoryCandidates: [60, 150, 250] },
    pick: (points) => {
      const fitting = points.filter((point) => point.aggregate.inputTokens.mean <= 1800);
      const best = Math.max(...fitting.map((point) => mean(point.aggregate, 'evidenceRecall') ?? 0));
      return cheapest(fitting.filter((point) => (mean(point.aggregate, 'evidenceRecall') ?? 0) >= best - 1e-9));
    },
  },
};

/** Replays one strategy on one dataset and keeps what the rules read. */
export async function replay(dataset: Selection, strategy: Selection): Promise<Measured> {
  const result = await runBenchmark({ datasets: [dataset], strategies: [strategy], registries: { datasets, strategies }, concurrency: 2 });
  const aggregate = result.aggregates.find((a) => a.strategy === strategy.name)!;
  const scores = scoresFromRows(result.turns ?? []);
  return { aggregate, episodes: new Map(FIDELITY_METRICS.map((metric) => [metric, scores(aggregate.dataset, strategy.name, metric)])) };
}

const changed = (settings: Settings) =>
  Object.entries(settings)
    .filter(([key, value]) => PRODUCTION_DEFAULTS[key as keyof Settings] !== value)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(', ') || 'defaults';

/** The plan's development data and what naive costs on it, above each table. */
export const naiveLine = (plan: TuningPlan, naive: Measured) =>
  `${plan.chosenOn}. Naive: ${Math.round(naive.aggregate.inputTokens.mean)} tokens a call, $${naive.aggregate.costPerConversation.toFixed(4)} a conversation.`;

/**
 * Replays `strategy` at every point of `grid` on the plan's development data, prints the table
 * (each point labelled by `label`, the chosen one marked, and the metrics held to the best point)
 * and returns the point the plan's rule picks, or undefined when none meets it.
 */
export async function measureGrid<S extends object>(plan: TuningPlan, naive: Measured, strategy: string, grid: readonly S[], label: (settings: S) => string, header: string): Promise<Point<S> | undefined> {
  const points: Array<Point<S>> = [];
  for (const settings of grid) points.push({ settings, ...(await replay(plan.dataset, { name: strategy, options: settings as Record<string, unknown> })) });
  const chosen = plan.pick(points, naive);
  console.log(`| ${header} | tokens/call | cached | $/conversation | cost vs naive | fidelity |\n| --- | ---: | ---: | ---: | ---: | --- |`);
  for (const point of points) console.log(resultRow(label(point.settings), point, naive, point === chosen));
  for (const line of heldToBest(points, naive, plan.bestHeld ?? [])) console.log(`\n${line}.`);
  if (!chosen) console.log('\nNo point meets the rule: the built-in defaults stay.');
  return chosen;
}

/** One grid point as a table row: its settings as given, tokens, cache, cost and fidelity against naive. */
export function resultRow(settings: string, point: Measured, naive: Measured, chosen: boolean): string {
  const a = point.aggregate;
  const metrics = FIDELITY_METRICS.filter((metric) => mean(naive.aggregate, metric) !== undefined).map((metric) => {
    const bound = pairedLowerBound(point, naive, metric);
    return `${metric} ${mean(a, metric)?.toFixed(3) ?? '–'}${bound === undefined ? '' : ` (vs naive >= ${(bound * 100).toFixed(1)} pts)`}`;
  });
  return `| ${chosen ? '**chosen** ' : ''}${settings} | ${Math.round(a.inputTokens.mean)} | ${(a.cachedShare * 100).toFixed(1)}% | $${a.costPerConversation.toFixed(4)} | ${(a.costPerConversation / naive.aggregate.costPerConversation).toFixed(3)} | ${metrics.join('; ')} |`;
}

/**
 * Rewrites the generated block of a settings file, between its `// BEGIN <name>` and `// END <name>`
 * lines, as `export const <name>: <type> = <value as JSON>;`. Refuses a file without both lines
 * rather than write the block in the wrong place.
 */
export function writeGeneratedConstant(file: URL, name: string, type: string, value: unknown, command: string): void {
  const path = fileURLToPath(file);
  const source = readFileSync(path, 'utf8');
  const begin = source.indexOf(`// BEGIN ${name}`);
  const end = source.indexOf(`// END ${name}`);
  if (begin < 0 || end < begin) throw new Error(`${path} has no "// BEGIN ${name}" ... "// END ${name}" block to rewrite`);
  const block = `// BEGIN ${name} (generated by ${command})\nexport const ${name}: ${type} = ${JSON.stringify(value, null, 2)};\n`;
  writeFileSync(path, source.slice(0, begin) + block + source.slice(end));
}

/** Rewrites the TUNED_SETTINGS block of strategies/production-settings.ts. */
function writeSettings(tuned: Record<string, TunedSettings>): void {
  writeGeneratedConstant(new URL('../strategies/production-settings.ts', import.meta.url), 'TUNED_SETTINGS', 'Readonly<Record<string, TunedSettings>>', tuned, 'npm run tune:production');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { dataset: { type: 'string', multiple: true }, 'dry-run': { type: 'boolean', default: false } } });
  const names = values.dataset ?? Object.keys(TUNING_PLANS);
  const unknown = names.find((name) => !TUNING_PLANS[name]);
  if (unknown) throw new Error(`no tuning plan for dataset "${unknown}": use one of ${Object.keys(TUNING_PLANS).join(', ')}`);
  const { TUNED_SETTINGS } = await import('../strategies/production-settings.js');
  const tuned: Record<string, TunedSettings> = { ...TUNED_SETTINGS };
  console.log(`# Production settings chosen on development data\n\n${machine()}, ${new Date().toISOString().slice(0, 10)}`);
  for (const name of names) {
    const plan = TUNING_PLANS[name]!;
    await plan.prepare?.();
    const naive = await replay(plan.dataset, { name: 'naive' });
    console.log(`\n## ${name}\n\n${naiveLine(plan, naive)}\n`);
    const chosen = await measureGrid(plan, naive, 'production', gridPoints(plan.grid), changed, 'settings (changed from the defaults)');
    if (!chosen) {
      delete tuned[name];
      continue;
    }
    const settings = Object.fromEntries(Object.entries(chosen.settings).filter(([key, value]) => PRODUCTION_DEFAULTS[key as keyof Settings] !== value));
    tuned[name] = { chosenOn: plan.chosenOn, settings };
  }
  if (!values['dry-run']) writeSettings(tuned);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main().catch((error: unknown) => {
    console.error(`tune-production: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  });
}
