import { z } from 'zod';
import { ConfigError, didYouMean, PROBE_METRICS, type ProbeMetric } from '../core/index.js';
import { firstIssue } from '../core/validation.js';

const share = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');

const metricFloors = z.record(z.string(), share).superRefine((floors, context) => {
  for (const metric of Object.keys(floors)) {
    if (!(PROBE_METRICS as readonly string[]).includes(metric)) {
      context.addIssue({ code: 'custom', path: [metric], message: `is not a probe metric; ${didYouMean(metric, PROBE_METRICS)}` });
    }
  }
});

const thresholdsSchema = z
  .object({
    maxCostRatio: z.number().positive('must be a share of the naive cost above 0, e.g. 0.10').optional(),
    minMetric: metricFloors.default({}),
    strategies: z.array(z.string().min(1, 'must be a strategy name')).min(1, 'must name at least one strategy').default(['production']),
  })
  .strict();

const toleranceSchema = z
  .object({
    metric: share.default(0.01),
    cost: z.number().nonnegative('must be a relative rise of 0 or more, e.g. 0.05 for 5%').default(0.05),
    latency: z.number().nonnegative('must be a relative rise of 0 or more, e.g. 0.2 for 20%').default(0.2),
  })
  .strict();

/** Thresholds a result is held to; every key may be left out. */
export interface ThresholdsInput {
  /** Most production may cost as a share of naive, per dataset (from the mission check). */
  maxCostRatio?: number;
  /** Lowest mean each probe metric may have, per dataset, for the strategies named in `strategies`. */
  minMetric?: Partial<Record<ProbeMetric, number>>;
  /** Strategies the metric floors apply to. @default ['production'] */
  strategies?: string[];
}

/** Validated thresholds. */
export interface Thresholds {
  maxCostRatio?: number;
  minMetric: Partial<Record<ProbeMetric, number>>;
  strategies: string[];
}

/** How much worse than the baseline still counts as noise. */
export interface Tolerance {
  /** Absolute slack below the baseline's CI lower bound for probe metrics (0..1). @default 0.01 */
  metric: number;
  /** Relative rise allowed in mean input tokens and cost per conversation. @default 0.05 */
  cost: number;
  /** Relative rise allowed in latency p95, compared only between comparable machines. @default 0.2 */
  latency: number;
}

/** Validates thresholds at the edge; errors name the key, the value and the fix. */
export function defineThresholds(input: ThresholdsInput): Thresholds {
  return parse(thresholdsSchema, input, 'thresholds', "for example { maxCostRatio: 0.10, minMetric: { factRetention: 0.9 }, strategies: ['production'] }") as Thresholds;
}

/** Validates regression tolerances, filling in the defaults. */
export function defineTolerance(input: Partial<Tolerance> = {}): Tolerance {
  return parse(toleranceSchema, input, 'tolerance', 'for example { metric: 0.01, cost: 0.05, latency: 0.2 }');
}

function parse<T>(schema: z.ZodObject & z.ZodType<T>, input: unknown, what: string, example: string): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = firstIssue(input, parsed.error);
  const fix = issue.unknownKey ? `${didYouMean(issue.key, Object.keys(schema.shape))}; ${example}` : `correct that value, ${example}`;
  throw new ConfigError(`invalid ${what}: ${issue.key} = ${JSON.stringify(issue.value) ?? 'undefined'} ${issue.problem}`, fix);
}
