import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { InputError, RESULT_SCHEMA_VERSION, type RunResult } from '../core/index.js';
import { firstIssue } from '../core/validation.js';

const FIX = 'pass the result.json that `ctxbench run` wrote';

const distribution = z.object({ mean: z.number(), p50: z.number(), p95: z.number() });
const share = z.number().min(0, 'must be a share from 0 to 1').max(1, 'must be a share from 0 to 1');
const estimate = z
  .object({ mean: share, ci95: z.tuple([share, share]), n: z.number().int().nonnegative() })
  .refine((e) => e.ci95[0] <= e.mean + 1e-9 && e.mean <= e.ci95[1] + 1e-9, 'must have its mean inside its interval ci95');

// Only the parts that checks and report writers read are checked; the rest passes through.
const resultShape = z.looseObject({
  config: z.looseObject({
    datasets: z.array(z.string()),
    strategies: z.array(z.string()),
    model: z.string(),
    scenario: z.looseObject({ model: z.string(), outputTokensPerCall: z.number(), overrideRecordedOutput: z.boolean() }),
    shard: z.object({ index: z.number(), count: z.number() }).nullable(),
    // show rebuilds turns with these: strategy -> dataset -> settings given back as options.
    strategySettings: z.record(z.string(), z.record(z.string(), z.record(z.string(), z.unknown()))).optional(),
  }),
  machine: z.looseObject({ cpu: z.string(), cores: z.number(), node: z.string() }),
  datasets: z.array(z.looseObject({ name: z.string(), episodes: z.number(), turns: z.number() })),
  aggregates: z.array(
    z.looseObject({
      dataset: z.string(),
      strategy: z.string(),
      budget: z.number().nullable(),
      budgetViolations: z.number().int('must be a whole number of turns').nonnegative('must be 0 or more'),
      inputTokens: distribution,
      latencyMs: distribution,
      costPerConversation: z.number(),
      metrics: z.record(z.string(), estimate),
    }),
  ),
  mission: z.array(z.looseObject({ dataset: z.string(), costRatio: z.number(), verdict: z.string(), reason: z.string(), floor: z.number() })),
  turns: z.array(z.looseObject({ sections: z.record(z.string(), z.number()), scores: z.record(z.string(), z.number()) })).optional(),
  interrupted: z.boolean(),
});

/** Reads a result file written by `ctxbench run`; refuses, naming the file and the problem, anything else. */
export function readResult(path: string): RunResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(`${path}: cannot be read (${(error as Error).message})`, FIX);
  }
  let content: unknown;
  try {
    content = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${path}: is not JSON (${(error as Error).message})`, FIX);
  }
  if (typeof content !== 'object' || content === null || !('schemaVersion' in content)) {
    throw new InputError(`${path}: has no schemaVersion, so it is not a ctxbench result`, FIX);
  }
  if (content.schemaVersion !== RESULT_SCHEMA_VERSION) {
    throw new InputError(
      `${path}: schemaVersion is ${JSON.stringify(content.schemaVersion)}, but this ctxbench reads version ${RESULT_SCHEMA_VERSION}`,
      'rerun the benchmark with this ctxbench, or read the file with the ctxbench version that wrote it',
    );
  }
  const parsed = resultShape.safeParse(content);
  if (!parsed.success) {
    const issue = firstIssue(content, parsed.error);
    throw new InputError(`${path}: ${issue.key} ${issue.problem}`, FIX);
  }
  checkMission(path, content as RunResult);
  return content as RunResult;
}

/**
 * The mission checks must be the aggregates' own: one per dataset with both naive and production,
 * its cost ratio production's cost per conversation over naive's. A check reads only `mission`,
 * so an entry edited or removed by hand would otherwise pass or skip a cost gate.
 */
function checkMission(path: string, result: RunResult): void {
  const cost = (dataset: string, strategy: string) => result.aggregates.find((a) => a.dataset === dataset && a.strategy === strategy)?.costPerConversation;
  for (const dataset of new Set(result.aggregates.map((a) => a.dataset))) {
    const naive = cost(dataset, 'naive');
    const production = cost(dataset, 'production');
    if (naive === undefined || production === undefined) continue;
    const index = result.mission.findIndex((m) => m.dataset === dataset);
    if (index < 0) throw new InputError(`${path}: mission has no entry for ${dataset}, though it has naive and production aggregates`, FIX);
    const expected = naive === 0 ? 0 : production / naive;
    const recorded = result.mission[index]!.costRatio;
    if (Math.abs(recorded - expected) > 1e-4 + 1e-6 * expected) {
      throw new InputError(`${path}: mission[${index}].costRatio = ${recorded} is not production's cost per conversation over naive's (${expected.toFixed(4)})`, FIX);
    }
  }
}
