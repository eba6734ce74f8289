import { ConfigError, didYouMean, gateCounts, InputError, PROBE_METRICS, type Aggregate, type CheckReport, type Gate, type GateKind, type RunResult } from '../core/index.js';
import { evaluationGates } from './answer/gate.js';
import { differenceAt } from './runner/merge.js';
import { strategies as registeredStrategies } from '../strategies/index.js';
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
  // A misspelt strategy would only ever be skipped ("was not run"), and the check would pass.
  const known = [...new Set([...registeredStrategies.names(), ...result.config.strategies])];
  for (const strategy of thresholds.strategies) {
    if (!known.includes(strategy)) throw new ConfigError(`check: unknown strategy "${strategy}" in the metric floors' strategies`, didYouMean(strategy, known));
  }
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
  const empty = result.datasets.filter((dataset) => dataset.episodes === 0).map((dataset) => dataset.name);
  const problem = result.interrupted
    ? 'the run was interrupted before every episode was replayed'
    : result.aggregates.length === 0
      ? 'the result has no aggregates'
      : empty.length > 0
        ? `${empty.join(', ')} replayed no episode`
        : null;
  const message = problem ? `${problem}; rerun the benchmark to completion` : `${result.aggregates.length} dataset x strategy aggregates, complete`;
  return { kind: 'run', name: 'complete', status: problem ? 'fail' : 'pass', value: null, limit: null, bound: 'upper', message };
}

function budgetGate(aggregate: Aggregate): Gate {
  const name = `${aggregate.dataset}/${aggregate.strategy}`;
  if (aggregate.budget === null) return skipped('budget', name, 'upper', `${aggregate.strategy} declares no budget`);
  return compare('budget', name, aggregate.budgetViolations, 0, 'upper', `turns over the ${aggregate.budget}-token budget`, `of ${aggregate.turns} turns`);
}

/** Why a dataset has no aggregate of `strategy`: it replayed nothing, or the strategy was not run. */
function absence(result: RunResult, dataset: string, strategy: string): string {
  if (result.datasets.find((d) => d.name === dataset)?.episodes === 0) return `${dataset} replayed no episode`;
  return `${strategy} was not run on ${dataset}`;
}

/** A gate that was asked for but that no dataset of the result could evaluate: a failure, not a pass. */
function notEvaluated(name: string, bound: Gate['bound'], reasons: readonly string[]): Gate {
  return { kind: 'threshold', name, status: 'fail', value: null, limit: null, bound, message: `asked for but evaluated on no dataset (${reasons.join('; ')})` };
}

function costRatioGates(result: RunResult, thresholds: Thresholds): Gate[] {
  const max = thresholds.maxCostRatio;
  if (max === undefined) return [];
  const gates = result.datasets.map(({ name: dataset }) => {
    const mission = result.mission.find((m) => m.dataset === dataset);
    const name = `${dataset} costRatio`;
    if (!mission) {
      const missing = ['naive', 'production'].filter((strategy) => !result.aggregates.some((a) => a.dataset === dataset && a.strategy === strategy));
      const reason = missing.length > 0 ? missing.map((strategy) => absence(result, dataset, strategy)).join(', ') : 'the result has no mission check for it';
      return skipped('threshold', name, 'upper', `no mission check on ${dataset}: it needs both naive and production (${reason})`);
    }
    return compare('threshold', name, mission.costRatio, max, 'upper', 'production cost / naive cost');
  });
  return gates.some((gate) => gate.status !== 'skip') ? gates : [...gates, notEvaluated('costRatio', 'upper', gates.map((gate) => gate.message))];
}

function metricFloorGates(result: RunResult, thresholds: Thresholds): Gate[] {
  const floors = PROBE_METRICS.flatMap((metric) => (thresholds.minMetric[metric] === undefined ? [] : [{ metric, floor: thresholds.minMetric[metric] }]));
  return thresholds.strategies.flatMap((strategy) =>
    floors.flatMap(({ metric, floor }) => {
      const gates = result.datasets.map(({ name: dataset }) => {
        const aggregate = result.aggregates.find((a) => a.dataset === dataset && a.strategy === strategy);
        const name = `${dataset}/${strategy} ${metric}`;
        const estimate = aggregate?.metrics[metric];
        if (!aggregate) return skipped('threshold', name, 'lower', absence(result, dataset, strategy));
        if (!estimate) return skipped('threshold', name, 'lower', `${metric} is not scored on ${dataset}`);
        return compare('threshold', name, estimate.mean, floor, 'lower', `${metric} mean`);
      });
      return gates.some((gate) => gate.status !== 'skip') ? gates : [...gates, notEvaluated(`${strategy} ${metric}`, 'lower', gates.map((gate) => gate.message))];
    }),
  );
}

function regressionGates(result: RunResult, baseline: RunResult, tolerance: Tolerance): Gate[] {
  const machineDifference = machineDifferences(result.machine, baseline.machine);
  const rise = (value: number) => `baseline ${formatNumber(value)} + ${formatNumber(tolerance.cost * 100)}%`;
  // A pair the baseline measured and the result lacks has not been checked at all: a failure.
  const dropped = baseline.aggregates
    .filter((before) => !result.aggregates.some((a) => a.dataset === before.dataset && a.strategy === before.strategy))
    .map((before): Gate => {
      const pair = `${before.dataset}/${before.strategy}`;
      return { kind: 'regression', name: pair, status: 'fail', value: null, limit: null, bound: 'upper', message: `${pair} is in the baseline but not in the result (${absence(result, before.dataset, before.strategy)}): run it, or make a new baseline without it` };
    });
  return [...dropped, ...result.aggregates.flatMap((current) => {
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
  })];
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

/**
 * What must be equal for a result and its baseline to be compared: the schema, the datasets and
 * how they were loaded (options, and the input files by content: paths differ between checkouts),
 * the cost scenario and the shard. Strategy options may differ: a changed default is what the
 * regression gates are there to judge.
 */
function comparableIdentity(result: RunResult): Record<string, unknown> {
  const { config } = result;
  return {
    schemaVersion: result.schemaVersion,
    config: {
      datasets: [...config.datasets].sort(),
      scenario: config.scenario,
      model: config.model,
      shard: config.shard,
      datasetOptions: Object.fromEntries(
        result.datasets.map(({ name, inputs = [] }) => {
          const files = new Set(inputs.map((input) => input.option));
          return [name, Object.fromEntries(Object.entries(config.datasetOptions?.[name] ?? {}).filter(([key]) => !files.has(key)))];
        }),
      ),
    },
    inputFiles: Object.fromEntries(result.datasets.map(({ name, inputs = [] }) => [name, inputs.map(({ option, sha256 }) => `${option} ${sha256}`)])),
  };
}

/** Refuses a baseline whose numbers mean something else: another schema, other datasets or options or input files, another cost scenario. */
function assertComparable(result: RunResult, baseline: RunResult): void {
  const datasets = (r: RunResult) => JSON.stringify([...r.config.datasets].sort());
  // The dataset lists whole, not their first differing element.
  const difference =
    datasets(result) === datasets(baseline) ? differenceAt(comparableIdentity(result), comparableIdentity(baseline)) : { path: 'config.datasets', left: datasets(result), right: datasets(baseline) };
  if (difference) {
    throw new ConfigError(
      `baseline is not comparable with the result: ${difference.path} is ${difference.left} but the baseline has ${difference.right}`,
      'check against a baseline run with the same datasets, dataset options, input files, model, scenario and shard',
    );
  }
}
