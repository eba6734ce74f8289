import { FIDELITY_METRICS, type Aggregate } from '../core/index.js';

/**
 * The strategies that dominate `subject` on its dataset: cheaper a conversation and at least as
 * faithful on every fidelity metric the subject is scored on, where "at least as faithful" is read
 * in the challenger's favour (its 95% interval reaches the subject's mean). References (the
 * oracle, degenerate contexts) are left out: they are yardsticks, not strategies one could run.
 */
export function dominating(subject: Aggregate, rows: readonly Aggregate[]): Aggregate[] {
  const metrics = FIDELITY_METRICS.filter((metric) => subject.metrics[metric]);
  return rows.filter(
    (row) =>
      row !== subject &&
      !row.reference &&
      row.dataset === subject.dataset &&
      row.costPerConversation < subject.costPerConversation &&
      metrics.every((metric) => {
        const challenger = row.metrics[metric];
        return challenger !== undefined && challenger.ci95[1] >= subject.metrics[metric]!.mean;
      }),
  );
}
