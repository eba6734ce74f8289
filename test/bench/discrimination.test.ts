import { beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../core/index.js';
import { runBenchmark } from '../../bench/runner/run.js';
import { datasets } from '../../datasets/index.js';
import { strategies } from '../../strategies/index.js';
import { REFERENCE_CONTEXTS } from '../../strategies/reference-contexts.js';

const references = REFERENCE_CONTEXTS.map((r) => r.name);

/** The probes must tell a faithful context from degenerate ones: every reference far below naive. */
describe.each([
  ['tau-bench-airline', 'factRetention', 12],
  ['locomo', 'evidenceRecall', 2],
] as const)('probes on %s', (dataset, metric, limit) => {
  let result: RunResult;
  beforeAll(async () => {
    result = await runBenchmark({
      // tau-bench: the same first trajectories whatever the default split (dev tasks included).
      datasets: [{ name: dataset, options: dataset === 'tau-bench-airline' ? { limit, split: 'all' } : { limit } }],
      strategies: [{ name: 'naive' }, { name: 'oracle' }, ...references.map((name) => ({ name }))],
      registries: { datasets, strategies },
      perTurn: false,
    });
  });
  const score = (strategy: string) => result.aggregates.find((a) => a.strategy === strategy)!.metrics[metric]!.mean;

  it.each(references)(`scores the reference context %s at least 20 points below naive on ${metric}`, (reference) => {
    expect(score(reference)).toBeLessThanOrEqual(score('naive') - 0.2);
  });

  it(`scores the oracle like naive on ${metric}`, () => {
    expect(score('oracle')).toBeGreaterThanOrEqual(score('naive') - 0.01);
  });

  it('marks the references and the oracle as references, and leaves them out of the verdict', () => {
    expect(result.aggregates.filter((a) => a.reference).map((a) => a.strategy)).toEqual(['oracle', ...references]);
  });
});
