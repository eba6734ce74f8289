import { ConfigError, round, type AnswerEvaluation, type EvaluationUsage } from '../../core/index.js';

const add = (a: number | null, b: number | null) => (a === null || b === null ? null : round(a + b, 8));

function addUsage(a: EvaluationUsage, b: EvaluationUsage): EvaluationUsage {
  return {
    model: a.model,
    calls: a.calls + b.calls,
    inputTokens: a.inputTokens + b.inputTokens,
    cachedInputTokens: a.cachedInputTokens + b.cachedInputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    costUsd: add(a.costUsd, b.costUsd),
  };
}

/**
 * The answer evaluations of --shard runs as one: usage per dataset x strategy, estimates, calls and
 * failures added up. Undefined when no shard had one.
 * @throws ConfigError when only some shards have one, or they used other models or settings.
 */
export function mergeEvaluations(evaluations: ReadonlyArray<AnswerEvaluation | undefined>): AnswerEvaluation | undefined {
  const present = evaluations.filter((e): e is AnswerEvaluation => e !== undefined);
  if (present.length === 0) return undefined;
  const identity = (e: AnswerEvaluation) => JSON.stringify([e.answerModel, e.judgeModel, e.judgePromptVersion, e.maxTokens, e.dryRun]);
  if (present.length !== evaluations.length || present.some((e) => identity(e) !== identity(present[0]!))) {
    throw new ConfigError('the shards differ in their answer evaluation (some have none, or other models or settings)', 'run every shard with the same --answer-model, --judge-model and answer settings');
  }
  const usage = new Map<string, AnswerEvaluation['usage'][number]>();
  for (const entry of present.flatMap((e) => e.usage)) {
    const key = `${entry.dataset}\u0000${entry.strategy}`;
    const seen = usage.get(key);
    usage.set(
      key,
      seen
        ? { ...seen, turns: seen.turns + entry.turns, failed: seen.failed + entry.failed, answer: addUsage(seen.answer, entry.answer), judge: seen.judge && entry.judge ? addUsage(seen.judge, entry.judge) : null }
        : entry,
    );
  }
  const first = present[0]!;
  const estimate = present.slice(1).reduce(
    (total, e) => ({
      ...total,
      turns: total.turns + e.estimate.turns,
      answerRequests: total.answerRequests + e.estimate.answerRequests,
      answerRequestsCached: total.answerRequestsCached + e.estimate.answerRequestsCached,
      judgeRequests: total.judgeRequests + e.estimate.judgeRequests,
      judgeRequestsCached: total.judgeRequestsCached + e.estimate.judgeRequestsCached,
      inputTokens: total.inputTokens + e.estimate.inputTokens,
      outputTokens: total.outputTokens + e.estimate.outputTokens,
      costUsd: add(total.costUsd, e.estimate.costUsd),
    }),
    first.estimate,
  );
  return {
    ...first,
    estimate,
    usage: [...usage.values()],
    run: present.slice(1).reduce((total, e) => ({ sent: total.sent + e.run.sent, fromCache: total.fromCache + e.run.fromCache, spentUsd: add(total.spentUsd, e.run.spentUsd) }), first.run),
    stoppedBySpendLimit: present.some((e) => e.stoppedBySpendLimit),
    failures: present.flatMap((e) => e.failures),
  };
}
