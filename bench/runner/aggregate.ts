import { PROBE_METRICS, type Aggregate, type TurnRow } from '../../core/index.js';
import { bootstrapMean, distribution, mean, round } from '../../core/stats.js';

/** Summarizes the turns of one strategy on one dataset; probe means are bootstrapped over episodes. */
export function aggregate(rows: readonly TurnRow[], seed: number, reference = false): Aggregate {
  const first = rows[0]!;
  const byEpisode = new Map<string, TurnRow[]>();
  for (const row of rows) {
    const turns = byEpisode.get(row.episode);
    if (turns) turns.push(row);
    else byEpisode.set(row.episode, [row]);
  }
  // Sorted by id so that the bootstrap does not depend on row order (shards merge identically).
  const episodes = [...byEpisode.keys()].sort(byCodePoint).map((id) => byEpisode.get(id)!);

  const metrics: Aggregate['metrics'] = {};
  PROBE_METRICS.forEach((metric, i) => {
    const perEpisode = episodes.flatMap((turns) => {
      const scored = turns.map((t) => t.scores[metric]).filter((v): v is number => v !== undefined);
      return scored.length > 0 ? [mean(scored)] : [];
    });
    if (perEpisode.length > 0) metrics[metric] = bootstrapMean(perEpisode, seed + i);
  });

  const sectionNames = [...new Set(rows.flatMap((row) => Object.keys(row.sections)))];
  const totalInput = rows.reduce((sum, row) => sum + row.inputTokens, 0);
  const totalCost = rows.reduce((sum, row) => sum + row.costUsd, 0);
  return {
    dataset: first.dataset,
    strategy: first.strategy,
    episodes: episodes.length,
    turns: rows.length,
    budget: first.budget,
    budgetViolations: rows.filter((row) => row.overBudget).length,
    inputTokens: distribution(rows.map((row) => row.inputTokens)),
    latencyMs: distribution(rows.map((row) => row.latencyMs)),
    sections: Object.fromEntries(sectionNames.map((name) => [name, round(mean(rows.map((row) => row.sections[name] ?? 0)), 1)])),
    cachedShare: round(totalInput === 0 ? 0 : rows.reduce((sum, row) => sum + row.cachedTokens, 0) / totalInput),
    overWindowCalls: rows.filter((row) => row.overWindow).length,
    outputCostShare: round(totalCost === 0 ? 0 : rows.reduce((sum, row) => sum + (row.outputCostUsd ?? 0), 0) / totalCost),
    costPerCall: round(mean(rows.map((row) => row.costUsd)), 8),
    costPerConversation: round(mean(episodes.map((turns) => turns.reduce((sum, t) => sum + t.costUsd, 0))), 8),
    metrics,
    ...(reference ? { reference: true } : {}),
  };
}

/** Compares strings by code point: locale-independent, so orders are the same on every machine. */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Turn rows grouped by dataset x strategy, in first-seen order. */
export function groupRows(rows: readonly TurnRow[]): TurnRow[][] {
  const groups = new Map<string, TurnRow[]>();
  for (const row of rows) {
    const key = `${row.dataset}\u0000${row.strategy}`;
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return [...groups.values()];
}
