/** What a CI gate guards: the declared budgets, the configured thresholds, the baseline, or the run itself. */
export type GateKind = 'run' | 'budget' | 'threshold' | 'regression';

/** Outcome of one gate; a skipped gate could not be measured and says why in its message. */
export type GateStatus = 'pass' | 'fail' | 'skip';

/** One named CI gate: the measured value against its limit. */
export interface Gate {
  kind: GateKind;
  /** Unique within its kind, e.g. `synthetic/production factRetention`. */
  name: string;
  status: GateStatus;
  /** The measured value; null when it could not be measured. */
  value: number | null;
  /** The limit the value is held to; null when the gate has none. */
  limit: number | null;
  /** Whether the value may be at most (`upper`) or must be at least (`lower`) the limit. */
  bound: 'upper' | 'lower';
  /** One line a person can act on. */
  message: string;
}

/** Every gate of one check; the check passes when no gate fails. */
export interface CheckReport {
  pass: boolean;
  gates: Gate[];
}

/** Number of gates per status. */
export function gateCounts(report: CheckReport): Record<GateStatus, number> {
  const counts: Record<GateStatus, number> = { pass: 0, fail: 0, skip: 0 };
  for (const gate of report.gates) counts[gate.status]++;
  return counts;
}
