import { ConfigError, type RunResult, type TurnRow } from '../../core/index.js';
import { aggregate, byCodePoint, groupRows } from './aggregate.js';
import { missionChecks, scoresFromRows } from './verdict.js';
import { round } from '../../core/stats.js';
import { mergeEvaluations } from '../answer/merge.js';

/** What must be equal for shard results to be merged (everything but the shard itself). */
function identity(result: RunResult): Record<string, string> {
  const { shard: _shard, ...config } = result.config;
  return { schemaVersion: String(result.schemaVersion), ctxbenchVersion: result.ctxbenchVersion, config: JSON.stringify(config) };
}

/**
 * Merges the results of `ctxbench run --shard i/n` into one result, as vitest's
 * --merge-reports does: per-turn rows are concatenated and every aggregate recomputed.
 * @throws ConfigError when the shards come from different versions or configs, or lack turn rows.
 */
export function mergeResults(shards: readonly RunResult[]): RunResult {
  if (shards.length === 0) throw new ConfigError('nothing to merge', 'pass the result.json of every shard');
  const first = shards[0]!;
  shards.forEach((shard, i) => {
    if (!shard.turns) throw new ConfigError(`shard ${i + 1} has no per-turn rows`, 'run the shards without --no-turns');
    const mismatch = Object.entries(identity(shard)).find(([key, value]) => value !== identity(first)[key]);
    if (mismatch) throw new ConfigError(`shard ${i + 1} differs from shard 1 in ${mismatch[0]}`, 'merge only shards of the same ctxbench version and run configuration');
  });
  const seen = new Set<string>();
  for (const shard of shards) {
    const label = shard.config.shard ? `${shard.config.shard.index}/${shard.config.shard.count}` : 'unsharded';
    if (seen.has(label)) throw new ConfigError(`shard ${label} is given twice`, 'pass each shard once');
    seen.add(label);
  }
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
      return { name: dataset.name, episodes: parts.reduce((s, d) => s + d.episodes, 0), turns: parts.reduce((s, d) => s + d.turns, 0), skipped: dataset.skipped, notes: dataset.notes ?? [] };
    }),
    aggregates,
    mission: missionChecks(aggregates, scoresFromRows(turns), first.config.scenario, first.config.seed),
    turns,
    evaluation: mergeEvaluations(shards.map((shard) => shard.evaluation)),
    interrupted: shards.some((shard) => shard.interrupted),
  };
}
