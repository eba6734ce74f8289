import type { Gate, RunResult } from '../../core/index.js';

/** The answer evaluation's CI gate: it fails when --max-spend stopped it before every turn was scored. */
export function evaluationGates(result: RunResult): Gate[] {
  const e = result.evaluation;
  if (!e) return [];
  const scored = e.usage.reduce((sum, u) => sum + u.turns, 0);
  const failed = e.failures.length ? `, ${e.failures.length} calls failed (those turns are unscored; see evaluation.failures)` : '';
  const base = { kind: 'run' as const, name: 'answer evaluation complete', value: e.failures.length, limit: null, bound: 'upper' as const };
  if (e.stoppedBySpendLimit) return [{ ...base, status: 'fail', message: `--max-spend stopped the answer evaluation after ${scored} of ${e.estimate.turns} turns${failed}; raise it or evaluate fewer turns` }];
  return [{ ...base, status: 'pass', message: `${scored} of ${e.estimate.turns} turns scored by ${e.answerModel}${failed}` }];
}
