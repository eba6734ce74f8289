import { FIDELITY_METRICS, type Aggregate, type Estimate, type FidelityComparison, type MissionCheck, type ProbeMetric, type Scenario, type TurnRow, type Verdict } from '../../core/index.js';
import { bootstrapMean, mean, round } from '../../core/stats.js';
import { aggregatorOf, groupRows } from './aggregate.js';

/** What production is held to against naive. */
export interface MissionRules {
  /** Most production may cost relative to naive. @default 0.1 */
  costTarget: number;
  /** Most a fidelity metric may lose: the lower bound of the paired difference's interval. @default 0.05 */
  tolerance: number;
  /** Fewest episodes a verdict rests on. @default 20 */
  minEpisodes: number;
}

export const MISSION_RULES: MissionRules = { costTarget: 0.1, tolerance: 0.05, minEpisodes: 20 };

/** Each episode's mean of a metric, for one dataset x strategy pair (episodes that scored it). */
export type EpisodeScores = (dataset: string, strategy: string, metric: ProbeMetric) => Map<string, number>;

/**
 * `candidate - reference` over the episodes both scored, paired by episode (in sorted order), with
 * its 95% bootstrap interval; undefined when they share no episode.
 */
export function pairedDifference(reference: ReadonlyMap<string, number>, candidate: ReadonlyMap<string, number>, seed: number): { paired: string[]; estimate: Estimate } | undefined {
  const paired = [...reference.keys()].filter((episode) => candidate.has(episode)).sort();
  if (paired.length === 0) return undefined;
  return { paired, estimate: bootstrapMean(paired.map((episode) => candidate.get(episode)! - reference.get(episode)!), seed) };
}

/** Production against naive on each fidelity metric both scored, paired by episode. */
function compareFidelity(scores: EpisodeScores, dataset: string, tolerance: number, seed: number): FidelityComparison[] {
  return FIDELITY_METRICS.flatMap((metric, i) => {
    const naive = scores(dataset, 'naive', metric);
    const production = scores(dataset, 'production', metric);
    const difference = pairedDifference(naive, production, seed + 101 * (i + 1));
    if (!difference) return [];
    const { paired, estimate } = difference;
    return [
      {
        metric,
        naive: round(mean(paired.map((e) => naive.get(e)!))),
        production: round(mean(paired.map((e) => production.get(e)!))),
        delta: estimate.mean,
        ci95: estimate.ci95,
        ok: estimate.ci95[0] >= -tolerance,
      },
    ];
  });
}

/** Episode scores read from turn rows (merging shards, tests). */
export function scoresFromRows(rows: readonly TurnRow[]): EpisodeScores {
  const groups = new Map(groupRows(rows).map((group) => [`${group[0]!.dataset}\u0000${group[0]!.strategy}`, aggregatorOf(group)]));
  return (dataset, strategy, metric) => groups.get(`${dataset}\u0000${strategy}`)?.episodeMeans(metric) ?? new Map();
}

/**
 * The mission check per dataset: production at most `costTarget` of naive's cost, every fidelity
 * metric non-inferior by its paired interval; no verdict without a fidelity metric or below
 * `minEpisodes`; a production whose calls exceed the context window cannot pass.
 */
export function missionChecks(aggregates: readonly Aggregate[], scores: EpisodeScores, scenario: Scenario, seed: number, rules: MissionRules = MISSION_RULES): MissionCheck[] {
  const datasets = [...new Set(aggregates.map((a) => a.dataset))];
  return datasets.flatMap((dataset) => {
    const find = (strategy: string) => aggregates.find((a) => a.dataset === dataset && a.strategy === strategy);
    const naive = find('naive');
    const production = find('production');
    if (!naive || !production) return [];
    const oracle = find('oracle');
    const monthly = (a: Aggregate) => round(a.costPerConversation * scenario.conversationsPerMonth, 2);
    const ratio = (a: Aggregate) => (naive.costPerConversation === 0 ? 0 : round(a.costPerConversation / naive.costPerConversation, 4));
    const fidelity = compareFidelity(scores, dataset, rules.tolerance, seed);
    const costRatio = ratio(production);
    const check = {
      dataset,
      naiveMonthlyUsd: monthly(naive),
      productionMonthlyUsd: monthly(production),
      costRatio,
      costTarget: rules.costTarget,
      tolerance: rules.tolerance,
      episodes: production.episodes,
      fidelity,
      floor: naive.outputCostShare ?? 0,
      oracleRatio: oracle ? ratio(oracle) : null,
      productionOverWindow: production.overWindowCalls ?? 0,
    };
    const { verdict, reason } = judge(check, rules, {
      // Compared unrounded: a ratio of 0.10004 is over a 0.1 target, though it prints as 0.1000.
      overCost: production.costPerConversation > rules.costTarget * naive.costPerConversation,
      naiveCostsNothing: naive.costPerConversation === 0,
      episodes: { naive: naive.episodes, production: production.episodes },
    });
    return [{ ...check, verdict, reason, pass: verdict === 'pass' }];
  });
}

interface JudgeFacts {
  overCost: boolean;
  naiveCostsNothing: boolean;
  episodes: { naive: number; production: number };
}

function judge(check: Omit<MissionCheck, 'verdict' | 'reason' | 'pass'>, rules: MissionRules, facts: JudgeFacts): { verdict: Verdict; reason: string } {
  if (check.fidelity.length === 0) return { verdict: 'no cost verdict', reason: 'no fidelity metric is scored on this dataset, so a cheaper context cannot be shown to keep what matters' };
  if (facts.naiveCostsNothing) return { verdict: 'no cost verdict', reason: "naive costs nothing at these prices, so no cost ratio can be met or missed (check the model's prices)" };
  if (facts.episodes.naive !== facts.episodes.production) {
    // An interrupted run (or a partial one) gets through different conversations per strategy.
    return { verdict: 'insufficient data', reason: `naive replayed ${facts.episodes.naive} episodes and production ${facts.episodes.production}: costs and scores over different conversations cannot be compared` };
  }
  if (check.episodes < rules.minEpisodes) return { verdict: 'insufficient data', reason: `${check.episodes} episodes, fewer than the ${rules.minEpisodes} a verdict needs` };
  if (check.productionOverWindow > 0) return { verdict: 'cannot be sent', reason: `${check.productionOverWindow} production calls exceed the model's context window` };
  const lost = check.fidelity.filter((f) => !f.ok).map((f) => `${f.metric} may lose ${round(-f.ci95[0] * 100, 1)} pts`);
  const costly = facts.overCost ? [`cost ratio ${check.costRatio} > ${check.costTarget}`] : [];
  if (lost.length + costly.length > 0) return { verdict: 'fail', reason: [...costly, ...lost].join('; ') };
  return { verdict: 'pass', reason: `cost ratio ${check.costRatio} <= ${check.costTarget}, every fidelity metric within ${rules.tolerance * 100} pts by its 95% interval` };
}
