import { ConfigError, InputError, describeValue, didYouMean } from '../errors.js';
import { callCost, PriceTable, type ModelPrice } from '../cost/pricing.js';
import type { Episode } from '../harness/episode.js';
import type { Estimate } from '../harness/result.js';
import type { AssembledContext, Strategy, StrategySession, TurnInput } from '../harness/strategy.js';
import { bootstrapDifference, bootstrapMean, type Difference } from '../stats.js';
import { assignmentPoint, splitFractions, variantAt } from './assignment.js';

/** One arm of an experiment: anything that assembles a context from an input (a strategy session, an assembler). */
export interface Variant<TInput = TurnInput, TContext = AssembledContext> {
  readonly name: string;
  assemble(input: TInput): Promise<TContext> | TContext;
}

/** A strategy as a variant: one session per episode, as in a replay. */
export function strategyVariant(name: string, strategy: Strategy): Variant<TurnInput, AssembledContext> {
  const sessions = new WeakMap<Readonly<Episode>, StrategySession>();
  return {
    name,
    assemble(input) {
      const session = sessions.get(input.episode) ?? strategy.startEpisode(input.episode);
      sessions.set(input.episode, session);
      return session.assemble(input);
    },
  };
}

/** What `run` measures of every context it assembles. */
export interface RunMetrics {
  tokens: number;
  /** The context's tokens at the model's uncached input price, in USD. */
  costUsd: number;
  latencyMs: number;
}

/** The result of one `run`: the user's variant, its context and what was measured. */
export interface ExperimentRun<TContext> {
  variant: string;
  context: TContext;
  metrics: RunMetrics;
}

interface CommonOptions<TInput, TContext> {
  /** Part of every user's hash: renaming the experiment reshuffles its users. */
  name: string;
  /** Two or more; the first is the control every other variant is compared with. */
  variants: ReadonlyArray<Variant<TInput, TContext>>;
  /** Relative split by variant name; changing it moves users between variants. @default an even split */
  weights?: Readonly<Record<string, number>>;
  /** The model whose input price turns tokens into cost. @default 'gpt-4o' */
  model?: string;
  /** @default the bundled prices */
  prices?: PriceTable;
  /** Milliseconds for latency. @default performance.now */
  now?: () => number;
  /** Seed of the bootstrap. @default 1 */
  seed?: number;
  /** @default 2000 */
  resamples?: number;
}

type SectionedContext = { sections: Readonly<Record<string, number>> };

/** Options of an experiment; `tokensOf` may be left out when contexts carry token counts per section. */
export type ExperimentOptions<TInput, TContext> = CommonOptions<TInput, TContext> &
  (TContext extends SectionedContext
    ? { /** Prompt tokens of a context. @default the sum of its sections */ tokensOf?: (context: TContext) => number }
    : { tokensOf: (context: TContext) => number });

/** A difference of one metric between a variant and the control. */
export interface MetricComparison extends Difference {
  metric: string;
  control: string;
  variant: string;
  /** Whether the 95% interval excludes zero. */
  excludesZero: boolean;
}

/** Per-variant estimates and differences from the control. */
export interface ExperimentSummary {
  experiment: string;
  /** Users are the units: each user's observations are averaged, then users are resampled. */
  method: 'percentile bootstrap over users';
  seed: number;
  resamples: number;
  variants: Array<{ name: string; users: number; metrics: Record<string, Estimate> }>;
  comparisons: MetricComparison[];
}

interface Unit {
  sum: number;
  count: number;
}

/** An A/B(/n) test of context variants with sticky per-user assignment and bootstrap summaries. */
export class ContextExperiment<TInput = TurnInput, TContext = AssembledContext> {
  readonly name: string;
  private readonly variants: ReadonlyArray<Variant<TInput, TContext>>;
  private readonly fractions: number[];
  private readonly tokensOf: (context: TContext) => number;
  private readonly inputPrice: ModelPrice;
  /** Variant -> metric -> unit (user id, or one per anonymous observation) -> running sum. */
  private readonly observations = new Map<string, Map<string, Map<string, Unit>>>();
  private anonymous = 0;

  constructor(private readonly options: ExperimentOptions<TInput, TContext>) {
    this.name = options.name;
    this.variants = validateVariants(options);
    this.fractions = splitFractions(this.names(), options.weights);
    this.tokensOf = options.tokensOf ?? ((context) => Object.values((context as SectionedContext).sections).reduce((sum, tokens) => sum + tokens, 0));
    this.inputPrice = (options.prices ?? new PriceTable()).get(options.model ?? 'gpt-4o');
    for (const name of this.names()) this.observations.set(name, new Map());
  }

  /** The variant of a user: a pure function of (user id, experiment name, weights). */
  assign(userId: string): string {
    if (typeof userId !== 'string' || userId === '') throw new InputError(`userId = ${describeValue(userId)} must be a non-empty string`, 'pass a stable id of the user');
    return this.variants[variantAt(assignmentPoint(userId, this.name), this.fractions)]!.name;
  }

  /** Assembles the context of the user's variant and records its tokens, cost and latency. */
  async run(userId: string, input: TInput): Promise<ExperimentRun<TContext>> {
    const variant = this.variants.find((candidate) => candidate.name === this.assign(userId))!;
    const now = this.options.now ?? (() => performance.now());
    const started = now();
    const context = await variant.assemble(input);
    const latencyMs = now() - started;
    const tokens = this.tokensOf(context);
    const costUsd = callCost(this.inputPrice, { input: tokens, cached: 0, cacheWrite: 0, output: 0 });
    const metrics: RunMetrics = { tokens, costUsd, latencyMs };
    for (const [metric, value] of Object.entries(metrics)) this.record(variant.name, metric, value, userId);
    return { variant: variant.name, context, metrics };
  }

  /**
   * Records one observation of a metric (a probe score, a rating). With a `userId` it joins that
   * user's unit, and the user must be assigned to `variant`; without one it is a unit of its own.
   */
  record(variant: string, metric: string, value: number, userId?: string): void {
    const metrics = this.observations.get(variant);
    if (!metrics) throw new InputError(`variant "${variant}" is not in experiment "${this.name}"`, didYouMean(variant, this.names()));
    if (metric === '') throw new InputError('metric name is empty', 'name the metric, e.g. "factRetention"');
    if (!Number.isFinite(value)) throw new InputError(`${metric} = ${value} must be a finite number`, 'record only measured values');
    if (userId !== undefined && this.assign(userId) !== variant) {
      throw new InputError(`user "${userId}" is assigned to "${this.assign(userId)}", not "${variant}"`, 'record under the variant that run() returned');
    }
    const units = metrics.get(metric) ?? new Map<string, Unit>();
    metrics.set(metric, units);
    const key = userId ?? `\u0000${this.anonymous++}`;
    const unit = units.get(key) ?? { sum: 0, count: 0 };
    units.set(key, { sum: unit.sum + value, count: unit.count + 1 });
  }

  /** Per-variant means and, for every other variant, its difference from the control, each with a seeded 95% bootstrap interval. */
  summary(): ExperimentSummary {
    const seed = this.options.seed ?? 1;
    const resamples = this.options.resamples ?? 2000;
    const [control, ...others] = this.names() as [string, ...string[]];
    const variants = this.names().map((name) => ({
      name,
      users: new Set([...this.observations.get(name)!.values()].flatMap((units) => [...units.keys()])).size,
      metrics: Object.fromEntries(this.metricsOf(name).map((metric) => [metric, bootstrapMean(this.unitMeans(name, metric), seed, resamples)])),
    }));
    const comparisons = others.flatMap((variant) =>
      this.metricsOf(variant)
        .filter((metric) => this.observations.get(control)!.has(metric))
        .map((metric): MetricComparison => {
          const difference = bootstrapDifference(this.unitMeans(control, metric), this.unitMeans(variant, metric), seed, resamples);
          return { metric, control, variant, ...difference, excludesZero: difference.ci95[0] > 0 || difference.ci95[1] < 0 };
        }),
    );
    return { experiment: this.name, method: 'percentile bootstrap over users', seed, resamples, variants, comparisons };
  }

  private names(): string[] {
    return this.variants.map((variant) => variant.name);
  }

  private metricsOf(variant: string): string[] {
    return [...this.observations.get(variant)!.keys()].sort();
  }

  /** Each unit's mean, ordered by unit key so summaries do not depend on the order users come in. */
  private unitMeans(variant: string, metric: string): number[] {
    const units = [...(this.observations.get(variant)!.get(metric) ?? new Map<string, Unit>())];
    return units.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, unit]) => unit.sum / unit.count);
  }
}

function validateVariants<TInput, TContext>(options: CommonOptions<TInput, TContext>): ReadonlyArray<Variant<TInput, TContext>> {
  if (typeof options.name !== 'string' || options.name === '') throw new ConfigError(`name = ${describeValue(options.name)} must be a non-empty string`, 'name the experiment; the name seeds user assignment');
  if (options.variants.length < 2) throw new ConfigError(`variants has ${options.variants.length} entries; an experiment needs at least 2`, 'list the control first, then one or more variants');
  const seen = new Set<string>();
  for (const [index, variant] of options.variants.entries()) {
    if (typeof variant.name !== 'string' || variant.name === '') throw new ConfigError(`variants.${index}.name = ${describeValue(variant.name)} must be a non-empty string`, 'give each variant a name');
    if (seen.has(variant.name)) throw new ConfigError(`variant "${variant.name}" is listed twice`, 'give each variant a distinct name');
    seen.add(variant.name);
  }
  const resamples = options.resamples;
  if (resamples !== undefined && !(Number.isInteger(resamples) && resamples >= 100)) {
    throw new ConfigError(`resamples = ${describeValue(resamples)} must be a whole number of at least 100`, 'leave it out for 2000');
  }
  // A NaN seed was reported as NaN while the intervals used another; 1.5 behaved as 1.
  const seed = options.seed;
  if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0)) throw new ConfigError(`seed = ${String(seed)} must be a whole number, 0 or more`, 'leave it out for 1');
  return options.variants;
}
