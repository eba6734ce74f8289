import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { InputError, RESULT_SCHEMA_VERSION, type RunResult } from '../core/index.js';
import { firstIssue } from '../core/validation.js';

const FIX = 'pass the result.json that `ctxbench run` wrote';

const distribution = z.object({ mean: z.number(), p50: z.number(), p95: z.number() });
const estimate = z.object({ mean: z.number(), ci95: z.tuple([z.number(), z.number()]), n: z.number() });

// Only the parts that checks and report writers read are checked; the rest passes through.
const resultShape = z.looseObject({
  config: z.looseObject({
    datasets: z.array(z.string()),
    strategies: z.array(z.string()),
    model: z.string(),
    scenario: z.looseObject({ model: z.string(), outputTokensPerCall: z.number(), overrideRecordedOutput: z.boolean() }),
    shard: z.object({ index: z.number(), count: z.number() }).nullable(),
  }),
  machine: z.looseObject({ cpu: z.string(), cores: z.number(), node: z.string() }),
  datasets: z.array(z.looseObject({ name: z.string(), episodes: z.number(), turns: z.number() })),
  aggregates: z.array(
    z.looseObject({
      dataset: z.string(),
      strategy: z.string(),
      budget: z.number().nullable(),
      budgetViolations: z.number(),
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
  return content as RunResult;
}
