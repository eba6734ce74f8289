import { ConfigError, gateCounts, InputError, PROBE_METRICS, type Aggregate, type CheckReport, type Gate, type GateKind, type RunResult } from '../core/index.js';
import { evaluationGates } from './answer/gate.js';
import { defineThresholds, defineTolerance, type Thresholds, type ThresholdsInput, type Tolerance } from './thresholds.js';

export { defineThresholds, defineTolerance, type Thresholds, type ThresholdsInput, type Tolerance } from './thresholds.js';
export { readResult } from './result-file.js';

/** What a result is checked against. */
export interface CheckOptions {
  thresholds: ThresholdsInput;
  /** An earlier result to guard against regressions; it must come from the same datasets and scenario. */
  baseline?: RunResult;
  /** @default { metric: 0.01, cost: 0.05, latency: 0.2 } */
  tolerance?: Partial<Tolerance>;
}

/** Runs every CI gate on a result: completeness, declared budgets, thresholds, and regressions against a baseline. */
export function checkResult(result: RunResult, options: CheckOptions): CheckReport {
  const thresholds = defineThresholds(options.thresholds);
  const tolerance = defineTolerance(options.tolerance);
  if (options.baseline) {
    if (options.baseline.aggregates.length === 0) {
      throw new InputError('the baseline has no aggregates (no dataset x strategy was replayed), so there is nothing to compare against', 'pass a baseline result of a completed run, or leave --baseline out');
    }
    assertComparable(result, options.baseline);
  }
  const gates = [
    completenessGate(result),
    ...evaluationGates(result),
    ...result.aggregates.map(budgetGate),
    ...costRatioGates(result, thresholds),
    ...metricFloorGates(result, thresholds),
    ...(options.baseline ? regressionGates(result, options.baseline, tolerance) : []),
  ];
  return { pass: gates.every((gate) => gate.status !== 'fail'), gates };
}

/** The gates as a plain-text table (gate, status, value, limit, message) with a count line. */
export function formatCheckTable(report: CheckReport): string {
  const rows = [
    ['kind', 'gate', 'status', 'value', 'limit', 'message'],
    ...report.gates.map((gate) => [
      gate.kind,
      gate.name,
      gate.status.toUpperCase(),
      gate.value === null ? '-' : formatNumber(gate.value),
      gate.limit === null ? '-' : `${gate.bound === 'upper' ? '<=' : '>='} ${formatNumber(gate.limit)}`,
      gate.message,
    ]),
  ];
  const cells = rows.map((row) => row.map((cell) => cell.replace(/\s+/g, ' ')));
  const widths = cells[0]!.map((_, column) => Math.max(...cells.map((row) => row[column]!.length)));
  const lines = cells.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  '));
  const counts = gateCounts(report);
  lines.push('', `${report.pass ? 'PASS' : 'FAIL'}: ${counts.pass} passed, ${counts.fail} failed, ${counts.skip} skipped`);
  return `${lines.join('\n')}\n`;
}

/** A number short enough for a table cell, the same on every machine. */
function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return String(Math.abs(value) >= 100 ? Number(value.toFixed(1)) : Number(value.toPrecision(4)));
}

/** Holds `value` to `limit`: at most it for an upper bound, at least it for a lower one. */
function compare(kind: GateKind, name: string, value: number, limit: number, bound: Gate['bound'], what: string, detail = ''): Gate {
  const ok = bound === 'upper' ? value <= limit : value >= limit;
  const relation = ok ? (bound === 'upper' ? '<=' : '>=') : bound === 'upper' ? '>' : '<';
  const message = `${what} ${formatNumber(value)} ${relation} ${formatNumber(limit)}${detail ? ` (${detail})` : ''}`;
  return { kind, name, status: ok ? 'pass' : 'fail', value, limit, bound, message };
}

function skipped(kind: GateKind, name: string, bound: Gate['bound'], reason: string): Gate {
  return { kind, name, status: 'skip', value: null, limit: null, bound, message: reason };
}

function completenessGate(result: RunResult): Gate {
  const problem = result.interrupted ? 'the run was interrupted before every episode was replayed' : result.aggregates.length === 0 ? 'the result has no aggregates' : null;
  const message = problem ? `${problem}; rerun the benchmark to completion` : `${result.aggregates.length} dataset x strategy aggregates, complete`;
  return { kind: 'run', name: 'complete', status: problem ? 'fail' : 'pass', value: null, limit: null, bound: 'upper', message };
}

function budgetGate(aggregate: Aggregate): Gate {
  const name = `${aggregate.dataset}/${aggregate.strategy}`;
  if (aggregate.budget === null) return skipped('budget', name, 'upper', `${aggregate.strategy} declares no budget`);
  return compare('budget', name, aggregate.budgetViolations, 0, 'upper', `turns over the ${aggregate.budget}-token budget`, `of ${aggregate.turns} turns`);
}

function costRatioGates(result: RunResult, thresholds: Thresholds): Gate[] {
  const max = thresholds.maxCostRatio;
  if (max === undefined) return [];
  return result.datasets.map(({ name: dataset }) => {
    const mission = result.mission.find((m) => m.dataset === dataset);
    const name = `${dataset} costRatio`;
    if (!mission) return skipped('threshold', name, 'upper', `no mission check on ${dataset}: it needs both naive and production`);
    return compare('threshold', name, mission.costRatio, max, 'upper', 'production cost / naive cost');
  });
}

function metricFloorGates(result: RunResult, thresholds: Thresholds): Gate[] {
  const floors = PROBE_METRICS.flatMap((metric) => (thresholds.minMetric[metric] === undefined ? [] : [{ metric, floor: thresholds.minMetric[metric] }]));
  return result.datasets.flatMap(({ name: dataset }) =>
    thresholds.strategies.flatMap((strategy) => {
      const aggregate = result.aggregates.find((a) => a.dataset === dataset && a.strategy === strategy);
      return floors.map(({ metric, floor }) => {
        const name = `${dataset}/${strategy} ${metric}`;
        const estimate = aggregate?.metrics[metric];
        if (!aggregate) return skipped('threshold', name, 'lower', `${strategy} was not run on ${dataset}`);
        if (!estimate) return skipped('threshold', name, 'lower', `${metric} is not scored on ${dataset}`);
        return compare('threshold', name, estimate.mean, floor, 'lower', `${metric} mean`);
      });
    }),
  );
}

function regressionGates(result: RunResult, baseline: RunResult, tolerance: Tolerance): Gate[] {
  const machineDifference = machineDifferences(result.machine, baseline.machine);
  const rise = (value: number) => `baseline ${formatNumber(value)} + ${formatNumber(tolerance.cost * 100)}%`;
  return result.aggregates.flatMap((current) => {
    const before = baseline.aggregates.find((a) => a.dataset === current.dataset && a.strategy === current.strategy);
    const pair = `${current.dataset}/${current.strategy}`;
    if (!before) return [skipped('regression', pair, 'upper', `${pair} is not in the baseline, so it is not compared`)];
    const latencyName = `${pair} latencyMs.p95`;
    return [
      ...metricRegressionGates(pair, current, before, tolerance.metric),
      compare('regression', `${pair} inputTokens.mean`, current.inputTokens.mean, before.inputTokens.mean * (1 + tolerance.cost), 'upper', 'mean input tokens', rise(before.inputTokens.mean)),
      compare('regression', `${pair} costPerConversation`, current.costPerConversation, before.costPerConversation * (1 + tolerance.cost), 'upper', 'cost per conversation', rise(before.costPerConversation)),
      machineDifference
        ? skipped('regression', latencyName, 'upper', `latency not compared: machines differ (${machineDifference})`)
        : compare('regression', latencyName, current.latencyMs.p95, before.latencyMs.p95 * (1 + tolerance.latency), 'upper', 'latency p95 ms', `baseline ${formatNumber(before.latencyMs.p95)} + ${formatNumber(tolerance.latency * 100)}%`),
    ];
  });
}

/** A metric regresses only when the whole current interval lies below the baseline's interval, less the slack. */
function metricRegressionGates(pair: string, current: Aggregate, before: Aggregate, slack: number): Gate[] {
  return PROBE_METRICS.flatMap((metric) => {
    const now = current.metrics[metric];
    const then = before.metrics[metric];
    if (!now || !then) return [];
    const interval = (e: typeof now) => `[${formatNumber(e.ci95[0])}, ${formatNumber(e.ci95[1])}]`;
    return [compare('regression', `${pair} ${metric}`, now.ci95[1], then.ci95[0] - slack, 'lower', `${metric} CI upper bound`, `now ${interval(now)}, baseline ${interval(then)}, slack ${slack}`)];
  });
}

/** What makes two machines' latencies incomparable, or null when they are comparable. */
function machineDifferences(a: RunResult['machine'], b: RunResult['machine']): string | null {
  const major = (version: string) => /^v?(\d+)/.exec(version)?.[1] ?? version;
  const differences = [
    a.cpu !== b.cpu ? `cpu "${a.cpu}" vs baseline "${b.cpu}"` : '',
    a.cores !== b.cores ? `cores ${a.cores} vs baseline ${b.cores}` : '',
    major(a.node) !== major(b.node) ? `node ${a.node} vs baseline ${b.node}` : '',
  ].filter(Boolean);
  return differences.length > 0 ? differences.join(', ') : null;
}

/** Refuses a baseline whose numbers mean something else: another schema, other datasets, another cost scenario. */
function assertComparable(result: RunResult, baseline: RunResult): void {
  const show = (value: unknown) => JSON.stringify(value ?? null);
  const fields: Array<[string, unknown, unknown]> = [
    ['schemaVersion', result.schemaVersion, baseline.schemaVersion],
    ['config.datasets', [...result.config.datasets].sort(), [...baseline.config.datasets].sort()],
    ['config.scenario.model', result.config.scenario.model, baseline.config.scenario.model],
    ['config.scenario.outputTokensPerCall', result.config.scenario.outputTokensPerCall, baseline.config.scenario.outputTokensPerCall],
    ['config.scenario.overrideRecordedOutput', result.config.scenario.overrideRecordedOutput, baseline.config.scenario.overrideRecordedOutput],
    ['config.shard', result.config.shard, baseline.config.shard],
  ];
  const differences = fields.filter(([, now, then]) => show(now) !== show(then)).map(([key, now, then]) => `${key} is ${show(now)} but the baseline has ${show(then)}`);
  if (differences.length > 0) {
    throw new ConfigError(`baseline is not comparable with the result: ${differences.join('; ')}`, 'check against a baseline run with the same datasets, model, scenario and shard');
  }
}
