import { PROBE_METRICS, type Aggregate, type ProbeMetric, type TurnRow } from '../../core/index.js';
import { bootstrapMean, distribution, mean, round } from '../../core/stats.js';

/** Per-episode sums of one strategy on one dataset: the unit the bootstrap resamples. */
interface EpisodeSums {
  costUsd: number;
  scores: Map<ProbeMetric, { sum: number; count: number }>;
}

/**
 * Summarizes the turns of one strategy on one dataset as they come, holding per turn only the
 * two numbers the exact percentiles need and per episode its cost and probe sums. Sums run in
 * row order, so the result equals a summary of all rows at once.
 */
export class Aggregator {
  private first: TurnRow | undefined;
  private count = 0;
  private budgetViolations = 0;
  private totalInput = 0;
  private totalCached = 0;
  private totalCost = 0;
  private totalOutputCost = 0;
  private overWindow = 0;
  private readonly inputTokens: number[] = [];
  private readonly latencyMs: number[] = [];
  private readonly sectionSums = new Map<string, number>();
  private readonly sectionCachedSums = new Map<string, number>();
  /** Section names in request order: each new name goes right after the one before it in its row. */
  private readonly sectionOrder: string[] = [];
  private readonly episodes = new Map<string, EpisodeSums>();
  private largestBudget: number | null = null;

  /** Turns added so far. */
  get turns(): number {
    return this.count;
  }

  add(row: TurnRow): void {
    this.first ??= row;
    this.count++;
    // Conversations may keep budgets of their own (StrategySession.budget): the aggregate shows the largest.
    if (row.budget !== null && (this.largestBudget === null || row.budget > this.largestBudget)) this.largestBudget = row.budget;
    if (row.overBudget) this.budgetViolations++;
    this.totalInput += row.inputTokens;
    this.totalCached += row.cachedTokens;
    this.totalCost += row.costUsd;
    this.totalOutputCost += row.outputCostUsd ?? 0;
    if (row.overWindow) this.overWindow++;
    this.inputTokens.push(row.inputTokens);
    this.latencyMs.push(row.latencyMs);
    for (const [name, tokens] of Object.entries(row.sections)) this.sectionSums.set(name, (this.sectionSums.get(name) ?? 0) + tokens);
    for (const [name, cached] of cachedBySection(row)) this.sectionCachedSums.set(name, (this.sectionCachedSums.get(name) ?? 0) + cached);
    let previous = -1;
    for (const name of Object.keys(row.sections)) {
      let at = this.sectionOrder.indexOf(name);
      if (at === -1) {
        at = previous + 1;
        this.sectionOrder.splice(at, 0, name);
      }
      previous = at;
    }
    let episode = this.episodes.get(row.episode);
    if (!episode) {
      episode = { costUsd: 0, scores: new Map() };
      this.episodes.set(row.episode, episode);
    }
    episode.costUsd += row.costUsd;
    for (const metric of PROBE_METRICS) {
      const score = row.scores[metric];
      if (score === undefined) continue;
      const sums = episode.scores.get(metric);
      if (sums) {
        sums.sum += score;
        sums.count++;
      } else episode.scores.set(metric, { sum: score, count: 1 });
    }
  }

  /** Each episode's mean of one probe metric, for episodes that scored it: the unit of paired comparisons. */
  episodeMeans(metric: ProbeMetric): Map<string, number> {
    const means = new Map<string, number>();
    for (const [id, { scores }] of this.episodes) {
      const sums = scores.get(metric);
      if (sums) means.set(id, sums.sum / sums.count);
    }
    return means;
  }

  /** The summary; probe means are bootstrapped over episodes sorted by id, seeded. `reference` marks a reference context. */
  result(seed: number, reference = false): Aggregate {
    const first = this.first!;
    // Sorted by id so that the bootstrap does not depend on row order (shards merge identically).
    const episodes = [...this.episodes.keys()].sort(byCodePoint).map((id) => this.episodes.get(id)!);
    const metrics: Aggregate['metrics'] = {};
    PROBE_METRICS.forEach((metric, i) => {
      const perEpisode = episodes.flatMap(({ scores }) => {
        const sums = scores.get(metric);
        return sums ? [sums.sum / sums.count] : [];
      });
      if (perEpisode.length > 0) metrics[metric] = bootstrapMean(perEpisode, seed + i);
    });
    return {
      dataset: first.dataset,
      strategy: first.strategy,
      episodes: episodes.length,
      turns: this.count,
      budget: this.largestBudget,
      budgetViolations: this.budgetViolations,
      inputTokens: distribution(this.inputTokens),
      latencyMs: distribution(this.latencyMs),
      sections: Object.fromEntries([...this.sectionSums].map(([name, sum]) => [name, round(sum / this.count, 1)])),
      cachedShare: round(this.totalInput === 0 ? 0 : this.totalCached / this.totalInput),
      sectionCachedShare: Object.fromEntries(
        [...this.sectionSums]
          .filter(([, sum]) => sum > 0)
          .sort(([a], [b]) => this.sectionOrder.indexOf(a) - this.sectionOrder.indexOf(b))
          .map(([name, sum]) => [name, round((this.sectionCachedSums.get(name) ?? 0) / sum)]),
      ),
      overWindowCalls: this.overWindow,
      outputCostShare: round(this.totalCost === 0 ? 0 : this.totalOutputCost / this.totalCost),
      costPerCall: round(this.totalCost / this.count, 8),
      costPerConversation: round(mean(episodes.map((e) => e.costUsd)), 8),
      metrics,
      ...(reference ? { reference: true } : {}),
    };
  }
}

/**
 * The cached tokens of one call attributed to its sections: the sections in the order the strategy
 * lists them (its request's order, tools first), stretched to span the whole prompt (the few
 * tokens that frame each message are spread over the sections), and the cached prefix laid over
 * them from the start. A section wholly inside the prefix was served from the cache.
 */
export function cachedBySection(row: Pick<TurnRow, 'sections' | 'inputTokens' | 'cachedTokens'>): Map<string, number> {
  const sections = Object.entries(row.sections);
  const total = sections.reduce((sum, [, tokens]) => sum + tokens, 0);
  const cached = new Map<string, number>();
  if (total === 0) return cached;
  const scale = Math.max(row.inputTokens, total) / total;
  let start = 0;
  for (const [name, tokens] of sections) {
    const span = tokens * scale;
    const share = span === 0 ? 0 : Math.min(1, Math.max(0, (row.cachedTokens - start) / span));
    cached.set(name, (cached.get(name) ?? 0) + share * tokens);
    start += span;
  }
  return cached;
}

/** An aggregator fed with rows. */
export function aggregatorOf(rows: readonly TurnRow[]): Aggregator {
  const aggregator = new Aggregator();
  for (const row of rows) aggregator.add(row);
  return aggregator;
}

/** Summarizes the turns of one strategy on one dataset; probe means are bootstrapped over episodes. */
export function aggregate(rows: readonly TurnRow[], seed: number, reference = false): Aggregate {
  return aggregatorOf(rows).result(seed, reference);
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
