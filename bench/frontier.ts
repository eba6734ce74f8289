import { FIDELITY_METRICS, type Aggregate } from '../core/index.js';

/**
 * The other strategies of `subject`'s dataset at least as faithful on every fidelity metric the
 * subject is scored on, read in the challenger's favour (its 95% interval reaches the subject's
 * mean), cheapest first. References (the oracle, degenerate contexts) are left out: they are
 * yardsticks, not strategies one could run. Record facts are not judged here, as in the verdict:
 * the recorded agents fetch them with tools, and only production sends the customer record, so
 * judging them would favour it.
 */
export function asFaithful(subject: Aggregate, rows: readonly Aggregate[]): Aggregate[] {
  const metrics = FIDELITY_METRICS.filter((metric) => subject.metrics[metric]);
  return rows
    .filter(
      (row) =>
        row !== subject &&
        !row.reference &&
        row.dataset === subject.dataset &&
        metrics.every((metric) => {
          const challenger = row.metrics[metric];
          return challenger !== undefined && challenger.ci95[1] >= subject.metrics[metric]!.mean;
        }),
    )
    .sort((a, b) => a.costPerConversation - b.costPerConversation);
}

/** The strategies that dominate `subject` on its dataset: cheaper a conversation and at least as faithful (see {@link asFaithful}). */
export function dominating(subject: Aggregate, rows: readonly Aggregate[]): Aggregate[] {
  return asFaithful(subject, rows).filter((row) => row.costPerConversation < subject.costPerConversation);
}
