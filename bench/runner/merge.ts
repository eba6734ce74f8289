import { ConfigError, type RunResult, type TurnRow } from '../../core/index.js';
import { aggregate, byCodePoint, groupRows } from './aggregate.js';
import { missionChecks, scoresFromRows } from './verdict.js';
import { round } from '../../core/stats.js';
import { mergeEvaluations } from '../answer/merge.js';

/** What must be equal for shard results to be merged: everything but the shard index and what was measured. */
function identity(result: RunResult): Record<string, unknown> {
  const { shard, ...config } = result.config;
  return {
    schemaVersion: result.schemaVersion,
    ctxbenchVersion: result.ctxbenchVersion,
    config,
    shardCount: shard?.count,
    inputs: Object.fromEntries(result.datasets.map((d) => [d.name, (d.inputs ?? []).map(({ option, sha256, records }) => ({ option, sha256, records }))])),
  };
}

/** The first place two values differ: its path and the two values as JSON, or undefined when they are equal. */
export function differenceAt(a: unknown, b: unknown, path = ''): { path: string; left: string; right: string } | undefined {
  if (Object.is(a, b)) return undefined;
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const key of keys) {
      const found = differenceAt((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], path ? `${path}.${key}` : key);
      if (found) return found;
    }
    return undefined;
  }
  return { path: path || '(value)', left: JSON.stringify(a) ?? 'absent', right: JSON.stringify(b) ?? 'absent' };
}

/** The first place two values differ, as `path: a vs b`, or undefined when they are equal. */
export function firstDifference(a: unknown, b: unknown): string | undefined {
  const found = differenceAt(a, b);
  return found && `${found.path}: ${found.left} vs ${found.right}`;
}

/** Refuses anything but every shard of one configuration, each once, naming the difference. */
function checkShardSet(shards: readonly RunResult[], names: readonly string[]): void {
  const first = shards[0]!;
  shards.forEach((shard, i) => {
    if (!shard.config.shard) throw new ConfigError(`${names[i]} is not a shard: it ran without --shard`, 'merge only the results of --shard i/n runs, each shard once; a full run needs no merging');
    if (!shard.turns) throw new ConfigError(`${names[i]} has no per-turn rows`, 'run the shards without --no-turns');
    const difference = firstDifference(identity(first), identity(shard));
    if (difference) throw new ConfigError(`${names[i]} differs from ${names[0]} in ${difference}`, 'merge only the shards of one run: same ctxbench version, configuration, options, shard count and input files');
  });
  const count = first.config.shard!.count;
  const seen = new Map<number, string>();
  shards.forEach((shard, i) => {
    const index = shard.config.shard!.index;
    if (seen.has(index)) throw new ConfigError(`shard ${index}/${count} is given twice (${seen.get(index)} and ${names[i]})`, 'pass each shard once');
    seen.set(index, names[i]!);
  });
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((index) => !seen.has(index));
  if (missing.length) throw new ConfigError(`shard${missing.length > 1 ? 's' : ''} ${missing.map((index) => `${index}/${count}`).join(', ')} missing`, `pass the result of every one of the ${count} shards`);
}

/**
 * Merges the results of `ctxbench run --shard i/n` into one result, as vitest's
 * --merge-reports does: per-turn rows are concatenated and every aggregate recomputed.
 * @param names how to call each result in errors (its path) @default "result 1", "result 2", ...
 * @throws ConfigError unless the results are every shard of one configuration, each once, with turn rows
 */
export function mergeResults(shards: readonly RunResult[], names: readonly string[] = shards.map((_, i) => `result ${i + 1}`)): RunResult {
  if (shards.length === 0) throw new ConfigError('nothing to merge', 'pass the result.json of every shard');
  checkShardSet(shards, names);
  const first = shards[0]!;
  const order = new Map(first.config.strategies.map((name, i) => [name, i]));
  const datasetOrder = new Map(first.config.datasets.map((name, i) => [name, i]));
  const turns: TurnRow[] = shards
    .flatMap((shard) => shard.turns!)
    .sort((a, b) => datasetOrder.get(a.dataset)! - datasetOrder.get(b.dataset)! || order.get(a.strategy)! - order.get(b.strategy)! || byCodePoint(a.episode, b.episode) || a.turn - b.turn);
  const references = new Set(first.aggregates.filter((a) => a.reference).map((a) => a.strategy));
  const aggregates = groupRows(turns).map((rows) => aggregate(rows, first.config.seed, references.has(rows[0]!.strategy)));
  const durationMs = shards.reduce((sum, shard) => sum + shard.timing.durationMs, 0);
  return {
    ...first,
    config: { ...first.config, shard: null },
    timing: { startedAt: first.timing.startedAt, durationMs, turnsPerSecond: round(turns.length / Math.max(durationMs / 1000, 1e-3), 1) },
    datasets: first.datasets.map((dataset) => {
      const parts = shards.map((shard) => shard.datasets.find((d) => d.name === dataset.name)!);
      return { ...dataset, episodes: parts.reduce((s, d) => s + d.episodes, 0), turns: parts.reduce((s, d) => s + d.turns, 0), notes: dataset.notes ?? [] };
    }),
    aggregates,
    mission: missionChecks(aggregates, scoresFromRows(turns), first.config.scenario, first.config.seed),
    turns,
    evaluation: mergeEvaluations(shards.map((shard) => shard.evaluation)),
    interrupted: shards.some((shard) => shard.interrupted),
  };
}
