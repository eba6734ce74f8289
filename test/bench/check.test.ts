import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkResult, defineThresholds, defineTolerance, formatCheckTable, readResult } from '../../bench/check.js';
import { ConfigError, InputError, type CheckReport, type Estimate, type GateKind, type RunResult } from '../../core/index.js';
import { resultJson, writeFileAtomic } from '../../reports/json.js';
import { replaySynthetic, withAggregate } from './results.js';

const gate = (report: CheckReport, kind: GateKind, name: string) => {
  const found = report.gates.find((g) => g.kind === kind && g.name === name);
  if (!found) throw new Error(`no ${kind} gate "${name}" in ${report.gates.map((g) => g.name).join(', ')}`);
  return found;
};
const estimate = (low: number, high: number): Estimate => ({ mean: (low + high) / 2, ci95: [low, high], n: 30 });
const withFactRetention = (result: RunResult, low: number, high: number) =>
  withAggregate(result, 'production', (a) => ({ metrics: { ...a.metrics, factRetention: estimate(low, high) } }));

let clean: RunResult;
beforeAll(async () => {
  clean = await replaySynthetic();
});

describe('checkResult', () => {
  it('passes a clean result that meets its thresholds', () => {
    const report = checkResult(clean, { thresholds: { maxCostRatio: 2, minMetric: { factRetention: 0.9 } } });
    expect(report.gates.filter((g) => g.status === 'fail')).toEqual([]);
    expect(report.pass).toBe(true);
  });

  it('fails the budget gate of a strategy whose contexts exceed its declared budget', async () => {
    const result = await replaySynthetic([{ name: 'over-budget', options: { budget: 20 } }]);
    const budget = gate(checkResult(result, { thresholds: {} }), 'budget', 'synthetic/over-budget');
    expect(budget).toMatchObject({ status: 'fail', value: result.aggregates[0]!.budgetViolations, limit: 0 });
    expect(budget.message).toMatch(/over the 20-token budget/);
  });

  it('skips the budget gate of a strategy that declares no budget', () => {
    expect(gate(checkResult(clean, { thresholds: {} }), 'budget', 'synthetic/naive')).toMatchObject({ status: 'skip', message: 'naive declares no budget' });
  });

  it('fails a cost ratio above the threshold', () => {
    const ratio = gate(checkResult(clean, { thresholds: { maxCostRatio: 0.1 } }), 'threshold', 'synthetic costRatio');
    expect(ratio).toMatchObject({ status: 'fail', value: clean.mission[0]!.costRatio, limit: 0.1 });
  });

  it('skips the cost ratio of a dataset without both naive and production', async () => {
    const result = await replaySynthetic([{ name: 'token-buffer' }]);
    expect(gate(checkResult(result, { thresholds: { maxCostRatio: 0.1 } }), 'threshold', 'synthetic costRatio').status).toBe('skip');
  });

  it('fails a metric below its floor for the named strategy', async () => {
    const result = await replaySynthetic([{ name: 'token-buffer', options: { maxTokens: 20 } }]);
    const report = checkResult(result, { thresholds: { minMetric: { factRetention: 0.9 }, strategies: ['token-buffer'] } });
    expect(gate(report, 'threshold', 'synthetic/token-buffer factRetention')).toMatchObject({ status: 'fail', value: 0, limit: 0.9, bound: 'lower' });
    expect(report.pass).toBe(false);
  });

  it('skips a metric floor the dataset does not score', () => {
    const floor = gate(checkResult(clean, { thresholds: { minMetric: { routingAccuracy: 0.8 } } }), 'threshold', 'synthetic/production routingAccuracy');
    expect(floor).toMatchObject({ status: 'skip', message: 'routingAccuracy is not scored on synthetic' });
  });

  it('fails an interrupted run', () => {
    const report = checkResult({ ...clean, interrupted: true }, { thresholds: {} });
    expect(gate(report, 'run', 'complete').status).toBe('fail');
    expect(report.pass).toBe(false);
  });
});

describe('checkResult against a baseline', () => {
  it('does not fail a lower metric whose interval overlaps the baseline interval', () => {
    const report = checkResult(withFactRetention(clean, 0.7, 0.9), { thresholds: {}, baseline: withFactRetention(clean, 0.85, 0.95) });
    expect(gate(report, 'regression', 'synthetic/production factRetention').status).toBe('pass');
  });

  it('fails a metric whose whole interval lies below the baseline interval', () => {
    const report = checkResult(withFactRetention(clean, 0.5, 0.7), { thresholds: {}, baseline: withFactRetention(clean, 0.85, 0.95) });
    expect(gate(report, 'regression', 'synthetic/production factRetention')).toMatchObject({ status: 'fail', value: 0.7, limit: 0.84 });
    expect(report.pass).toBe(false);
  });

  it('flags the fact retention lost by shrinking the token buffer', async () => {
    const baseline = await replaySynthetic([{ name: 'token-buffer' }]);
    const current = await replaySynthetic([{ name: 'token-buffer', options: { maxTokens: 20 } }]);
    const report = checkResult(current, { thresholds: {}, baseline });
    expect(gate(report, 'regression', 'synthetic/token-buffer factRetention').status).toBe('fail');
    expect(gate(report, 'regression', 'synthetic/token-buffer inputTokens.mean').status).toBe('pass');
  });

  it('tolerates mean input tokens up to 5% above the baseline and fails beyond', () => {
    const rise = (factor: number) => withAggregate(clean, 'production', (a) => ({ inputTokens: { ...a.inputTokens, mean: a.inputTokens.mean * factor } }));
    const status = (factor: number) => gate(checkResult(rise(factor), { thresholds: {}, baseline: clean }), 'regression', 'synthetic/production inputTokens.mean').status;
    expect(status(1.04)).toBe('pass');
    expect(status(1.06)).toBe('fail');
  });

  it('fails cost per conversation rising beyond the tolerance given', () => {
    const current = withAggregate(clean, 'naive', (a) => ({ costPerConversation: a.costPerConversation * 1.02 }));
    const report = checkResult(current, { thresholds: {}, baseline: clean, tolerance: { cost: 0.01 } });
    expect(gate(report, 'regression', 'synthetic/naive costPerConversation').status).toBe('fail');
  });

  it('compares latency p95 when both runs are on the same machine', () => {
    const slower = withAggregate(clean, 'naive', (a) => ({ latencyMs: { ...a.latencyMs, p95: a.latencyMs.p95 * 2 } }));
    const latency = gate(checkResult(slower, { thresholds: {}, baseline: clean }), 'regression', 'synthetic/naive latencyMs.p95');
    expect(latency).toMatchObject({ status: 'fail', value: clean.aggregates[0]!.latencyMs.p95 * 2 });
  });

  it('treats machines that differ only in the node minor version as comparable', () => {
    const baseline = { ...clean, machine: { ...clean.machine, node: clean.machine.node.replace(/\..*$/, '.0.0') } };
    expect(gate(checkResult(clean, { thresholds: {}, baseline }), 'regression', 'synthetic/naive latencyMs.p95').status).toBe('pass');
  });

  it('skips latency on a different machine and says what differs', () => {
    const baseline = { ...clean, machine: { ...clean.machine, cpu: 'Other CPU', cores: clean.machine.cores + 1 } };
    const latency = gate(checkResult(clean, { thresholds: {}, baseline }), 'regression', 'synthetic/production latencyMs.p95');
    expect(latency.status).toBe('skip');
    expect(latency.message).toMatch(/machines differ \(cpu ".*" vs baseline "Other CPU", cores \d+ vs baseline \d+\)/);
  });

  it('refuses a baseline of other datasets, naming both lists', () => {
    const baseline = { ...clean, config: { ...clean.config, datasets: ['tau-bench'] } };
    expect(() => checkResult(clean, { thresholds: {}, baseline })).toThrow(ConfigError);
    expect(() => checkResult(clean, { thresholds: {}, baseline })).toThrow('config.datasets is ["synthetic"] but the baseline has ["tau-bench"]');
  });

  it('refuses a baseline priced with another model', () => {
    const baseline = { ...clean, config: { ...clean.config, scenario: { ...clean.config.scenario, model: 'gpt-4o-mini' } } };
    expect(() => checkResult(clean, { thresholds: {}, baseline })).toThrow(/config\.scenario\.model is "gpt-4o" but the baseline has "gpt-4o-mini"/);
  });

  it('refuses a baseline of another schema version', () => {
    expect(() => checkResult(clean, { thresholds: {}, baseline: { ...clean, schemaVersion: 0 } })).toThrow(/schemaVersion is 2 but the baseline has 0/);
  });
});

describe('checkResult never passes a gate it did not evaluate', () => {
  it('refuses a misspelt strategy in the metric floors, suggesting the right one', () => {
    expect(() => checkResult(clean, { thresholds: { minMetric: { factRetention: 0.9 }, strategies: ['prodution'] } })).toThrow(ConfigError);
    expect(() => checkResult(clean, { thresholds: { minMetric: { factRetention: 0.9 }, strategies: ['prodution'] } })).toThrow(/unknown strategy "prodution"[\s\S]*production/);
  });

  it('fails a metric floor that no dataset evaluated, for a strategy that was not run', async () => {
    const result = await replaySynthetic([{ name: 'naive' }, { name: 'token-buffer' }]);
    const report = checkResult(result, { thresholds: { minMetric: { factRetention: 0.9 } } });
    expect(gate(report, 'threshold', 'synthetic/production factRetention')).toMatchObject({ status: 'skip', message: 'production was not run on synthetic' });
    expect(gate(report, 'threshold', 'production factRetention')).toMatchObject({ status: 'fail' });
    expect(report.pass).toBe(false);
  });

  it('fails a cost ratio asked for when no dataset has both naive and production', async () => {
    const result = await replaySynthetic([{ name: 'naive' }]);
    const report = checkResult(result, { thresholds: { maxCostRatio: 0.1 } });
    expect(gate(report, 'threshold', 'costRatio').message).toMatch(/evaluated on no dataset.*production was not run on synthetic/);
    expect(report.pass).toBe(false);
  });

  it('fails when a pair of the baseline is missing from the result', async () => {
    const result = await replaySynthetic([{ name: 'naive' }, { name: 'token-buffer' }]);
    const report = checkResult(result, { thresholds: {}, baseline: clean });
    expect(gate(report, 'regression', 'synthetic/production')).toMatchObject({ status: 'fail' });
    expect(report.pass).toBe(false);
  });

  it('fails a result in which a dataset replayed no episode', () => {
    const empty = { ...clean, datasets: [...clean.datasets, { name: 'other', episodes: 0, turns: 0, skipped: [] }] };
    expect(gate(checkResult(empty, { thresholds: {} }), 'run', 'complete')).toMatchObject({ status: 'fail', message: expect.stringContaining('other replayed no episode') });
  });
});

describe('checkResult refuses a baseline of another configuration', () => {
  it('refuses a baseline whose datasets were loaded with other options, such as another limit', () => {
    const options = clean.config.datasetOptions ?? {};
    const baseline = { ...clean, config: { ...clean.config, datasetOptions: { ...options, synthetic: { ...options.synthetic, limit: 2 } } } };
    expect(() => checkResult(clean, { thresholds: {}, baseline })).toThrow(/config\.datasetOptions\.synthetic\.limit is absent but the baseline has 2/);
  });

  it('refuses a baseline with another monthly volume or cache retention', () => {
    const volume = { ...clean, config: { ...clean.config, scenario: { ...clean.config.scenario, conversationsPerMonth: 5 } } };
    expect(() => checkResult(clean, { thresholds: {}, baseline: volume })).toThrow(/config\.scenario\.conversationsPerMonth is 100000 but the baseline has 5/);
    const retention = { ...clean, config: { ...clean.config, scenario: { ...clean.config.scenario, cacheRetention: 'extended' as const } } };
    expect(() => checkResult(clean, { thresholds: {}, baseline: retention })).toThrow(/config\.scenario\.cacheRetention/);
  });

  it('refuses a baseline replayed from other input files, compared by content, not path', () => {
    const withInput = (result: RunResult, path: string, sha256: string) => ({ ...result, datasets: result.datasets.map((d) => ({ ...d, inputs: [{ option: 'file', path, sha256, bytes: 1, records: 1 }] })) });
    const here = withInput(clean, 'data/a.json', 'aa');
    expect(() => checkResult(here, { thresholds: {}, baseline: withInput(clean, '/elsewhere/a.json', 'aa') })).not.toThrow();
    expect(() => checkResult(here, { thresholds: {}, baseline: withInput(clean, 'data/a.json', 'bb') })).toThrow(/inputFiles\.synthetic/);
  });
});

describe('defineThresholds', () => {
  it('rejects a floor outside 0..1, naming the key, the value and the fix', () => {
    expect(() => defineThresholds({ minMetric: { factRetention: 1.5 } })).toThrow(/invalid thresholds: minMetric\.factRetention = 1\.5 must be between 0 and 1\n {2}fix: correct that value/);
  });

  it('rejects an unknown metric with a suggestion', () => {
    expect(() => defineThresholds({ minMetric: { factRetension: 0.9 } as never })).toThrow(/minMetric\.factRetension = 0\.9 is not a probe metric; did you mean "factRetention"\?/);
  });

  it('rejects an unknown key with a suggestion', () => {
    expect(() => defineThresholds({ maxCostRaito: 0.1 } as never)).toThrow(/maxCostRaito = 0\.1 is not a known key\n {2}fix: did you mean "maxCostRatio"\?/);
  });

  it('applies the floors to production unless told otherwise', () => {
    expect(defineThresholds({ maxCostRatio: 0.1 })).toEqual({ maxCostRatio: 0.1, minMetric: {}, strategies: ['production'] });
  });

  it('rejects a negative tolerance', () => {
    expect(() => defineTolerance({ cost: -0.05 })).toThrow(/invalid tolerance: cost = -0\.05 must be a relative rise of 0 or more/);
  });
});

describe('readResult', () => {
  const directory = mkdtempSync(join(tmpdir(), 'ctxbench-check-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  const file = (name: string, content: string) => {
    const path = join(directory, name);
    writeFileSync(path, content);
    return path;
  };

  it('reads back a result that resultJson wrote', () => {
    const path = join(directory, 'result.json');
    writeFileAtomic(path, resultJson(clean));
    expect(readResult(path)).toEqual(clean);
  });

  it('refuses a file that is not JSON, naming the file', () => {
    const path = file('broken.json', '{"schemaVersion": 1,');
    expect(() => readResult(path)).toThrow(InputError);
    expect(() => readResult(path)).toThrow(`${path}: is not JSON`);
  });

  it('refuses a file that does not exist, naming it', () => {
    expect(() => readResult(join(directory, 'missing.json'))).toThrow(/missing\.json: cannot be read/);
  });

  it('refuses JSON without a schemaVersion', () => {
    expect(() => readResult(file('other.json', '{"name": "package"}'))).toThrow(/other\.json: has no schemaVersion/);
  });

  it('refuses another schemaVersion, naming both versions', () => {
    expect(() => readResult(file('future.json', JSON.stringify({ ...clean, schemaVersion: 3 })))).toThrow(/future\.json: schemaVersion is 3, but this ctxbench reads version 2/);
  });

  it('refuses a result without aggregates', () => {
    const { aggregates: _, ...rest } = clean;
    expect(() => readResult(file('partial.json', JSON.stringify(rest)))).toThrow(/partial\.json: aggregates is missing/);
  });

  it('refuses a result edited by hand so that a gate would pass or skip', () => {
    const production = clean.aggregates.findIndex((a) => a.strategy === 'production');
    expect(() => readResult(file('no-mission.json', JSON.stringify({ ...clean, mission: [] })))).toThrow(/no-mission\.json: mission has no entry for synthetic/);
    const cheaper = { ...clean, mission: clean.mission.map((m) => ({ ...m, costRatio: 0.05 })) };
    expect(() => readResult(file('ratio.json', JSON.stringify(cheaper)))).toThrow(/ratio\.json: mission\[0\]\.costRatio = 0\.05 is not production's cost per conversation over naive's/);
    const inflated = withFactRetention(clean, 6, 8);
    expect(() => readResult(file('mean.json', JSON.stringify(inflated)))).toThrow(/mean\.json: aggregates\.\d+\.metrics\.factRetention\.mean .*must be a share from 0 to 1/);
    const negative = { ...clean, aggregates: clean.aggregates.map((a, i) => (i === production ? { ...a, budgetViolations: -3 } : a)) };
    expect(() => readResult(file('violations.json', JSON.stringify(negative)))).toThrow(/violations\.json: aggregates\.\d+\.budgetViolations .*must be 0 or more/);
  });
});

describe('formatCheckTable', () => {
  it('lists every gate with its status, value and limit, then the counts', () => {
    const table = formatCheckTable(checkResult(clean, { thresholds: { maxCostRatio: 0.1 } }));
    expect(table).toMatch(/^kind +gate +status +value +limit +message$/m);
    expect(table).toMatch(/^threshold +synthetic costRatio +FAIL +[\d.]+ +<= 0\.1 +production cost \/ naive cost/m);
    expect(table).toMatch(/^budget +synthetic\/naive +SKIP +- +- +naive declares no budget$/m);
    expect(table.trimEnd().split('\n').at(-1)).toMatch(/^FAIL: \d+ passed, 1 failed, 1 skipped$/);
  });
});
