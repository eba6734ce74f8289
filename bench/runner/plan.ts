import { ConfigError, inputFileOptions, inputFilesOf, InputError, parseOptions, PriceTable, type DatasetLoader, type InputFileRecord, type LoadedDataset, type SkippedRecord, type StrategyPlugin } from '../../core/index.js';
import { describeInputFile, recordedPath } from './inputs.js';
import type { RunOptions, Selection } from './run.js';

/** Most episodes replayed at once; more only multiplies memory (each episode in flight keeps its state). */
export const MAX_CONCURRENCY = 64;


/** What a run needs checked before the first episode is replayed. */
export type PlanInput = Pick<RunOptions, 'datasets' | 'strategies' | 'registries' | 'concurrency' | 'shard'> & { model: string; prices: PriceTable };

/** A dataset ready to load: its loader, its validated options and its input files, hashed. */
export interface PlannedDataset {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  loader: DatasetLoader<any>;
  options: Record<string, unknown>;
  inputs: InputFileRecord[];
  /** A loader that does not stream is loaded once, here, to know it has episodes; the replay reuses it. */
  loaded?: LoadedDataset;
}

/** A strategy ready to create: its plug-in and validated options. */
export interface PlannedStrategy {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  plugin: StrategyPlugin<any>;
  options: Record<string, unknown>;
}

/** The validated run: every plug-in found, every option checked, every input file read once. */
export interface RunPlan {
  datasets: PlannedDataset[];
  strategies: PlannedStrategy[];
  /** The resolved options as recorded in the result (input paths as recorded). */
  recordedOptions: {
    datasets: Record<string, Record<string, unknown>>;
    strategies: Record<string, Record<string, unknown>>;
    /** The dataset-dependent settings of each strategy that has them (StrategyPlugin.settingsFor), by strategy and dataset. */
    settings: Record<string, Record<string, Record<string, unknown>>>;
  };
}

function refuseDuplicates(kind: string, selections: readonly Selection[]): void {
  const repeated = selections.map((s) => s.name).find((name, i, names) => names.indexOf(name) !== i);
  if (repeated) {
    throw new ConfigError(`${kind} "${repeated}" is selected twice`, kind === 'strategy' ? 'compare option variants in separate runs, or register the variant under its own name' : `name each ${kind} once`);
  }
}

function checkConcurrency(concurrency: number | undefined): void {
  if (concurrency === undefined) return;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
    throw new ConfigError(`concurrency ${concurrency} is out of range`, `use a whole number from 1 to ${MAX_CONCURRENCY} (episodes replayed at once; more only helps strategies that wait on a remote endpoint)`);
  }
}

function checkShard(shard: PlanInput['shard']): void {
  if (shard && !(Number.isInteger(shard.index) && Number.isInteger(shard.count) && shard.count >= 1 && shard.index >= 1 && shard.index <= shard.count)) {
    throw new ConfigError(`invalid shard ${shard.index}/${shard.count}`, 'use --shard i/n with 1 <= i <= n, for example --shard 1/3');
  }
}

/**
 * Refuses a dataset with no episode to replay (a limit of 0, every record skipped, conversations
 * with no turn): its scores would be empty and the run would still exit 0. A streamed dataset is
 * read only up to its first episode.
 * @throws InputError naming the dataset, why it is empty and the fix
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function refuseEmpty(loader: DatasetLoader<any>, options: Record<string, unknown>, loaded: LoadedDataset | undefined): Promise<void> {
  let skipped: readonly SkippedRecord[];
  if (loaded) {
    if (loaded.episodes.length > 0) return;
    skipped = loaded.skipped;
  } else {
    const opened = loader.stream!(options);
    for await (const _episode of opened.episodes) return;
    skipped = opened.skipped;
  }
  const name = loader.name;
  if (options.limit === 0) throw new InputError(`dataset "${name}" has nothing to replay: its limit is 0`, 'leave limit out, or set it to 1 or more');
  if (skipped.length > 0) {
    const first = skipped[0]!;
    throw new InputError(`dataset "${name}" has nothing to replay: all ${skipped.length} records were skipped (the first: ${first.file}, ${first.record}: ${first.reason})`, 'correct the records, or pass another input file');
  }
  throw new InputError(`dataset "${name}" has nothing to replay: its input holds no conversation with a turn to score`, 'pass an input file with at least one conversation the loader can replay');
}

/**
 * Checks everything a run can get wrong before any episode is replayed: plug-in names (each once),
 * their options, the model's price, concurrency, shard, and every input file (readable, not empty,
 * UTF-8), whose hashes and record counts the result records.
 * @throws ConfigError or DataError naming what is wrong and the fix
 */
export async function planRun(input: PlanInput): Promise<RunPlan> {
  refuseDuplicates('dataset', input.datasets);
  refuseDuplicates('strategy', input.strategies);
  checkConcurrency(input.concurrency);
  checkShard(input.shard);
  input.prices.get(input.model);
  const strategies = input.strategies.map(({ name, options }) => {
    const plugin = input.registries.strategies.get(name);
    return { plugin, options: parseOptions('strategy', name, plugin.options, options ?? {}) as Record<string, unknown> };
  });
  const resolved = input.datasets.map(({ name, options }) => {
    const loader = input.registries.datasets.get(name);
    return { loader, options: parseOptions('dataset', name, loader.options, options ?? {}) as Record<string, unknown> };
  });
  for (const { plugin, options } of strategies) plugin.checkFor?.(options, resolved.map(({ loader }) => loader.name));
  const datasets: PlannedDataset[] = [];
  for (const { loader, options } of resolved) {
    const inputs: InputFileRecord[] = [];
    for (const { option, file } of inputFilesOf(loader.options, options)) inputs.push(await describeInputFile(option, file, options.lenient === true));
    const loaded = loader.stream ? undefined : ((await loader.load(options)) as LoadedDataset);
    await refuseEmpty(loader, options, loaded);
    datasets.push({ loader, options, inputs, ...(loaded ? { loaded } : {}) });
  }
  const recorded = ({ loader, options }: PlannedDataset) =>
    Object.fromEntries(
      Object.entries(options).map(([key, value]) => {
        if (!inputFileOptions.has(loader.options.shape[key]!)) return [key, value];
        return [key, Array.isArray(value) ? value.map((v) => recordedPath(String(v))) : recordedPath(String(value))];
      }),
    );
  return {
    datasets,
    strategies,
    recordedOptions: {
      datasets: Object.fromEntries(datasets.map((d) => [d.loader.name, recorded(d)])),
      strategies: Object.fromEntries(strategies.map((s) => [s.plugin.name, s.options])),
      settings: Object.fromEntries(
        strategies.flatMap(({ plugin, options }) => (plugin.settingsFor ? [[plugin.name, Object.fromEntries(datasets.map(({ loader }) => [loader.name, plugin.settingsFor!(options, loader.name)]))]] : [])),
      ),
    },
  };
}
