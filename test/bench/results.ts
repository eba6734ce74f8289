import { z } from 'zod';
import { defineDataset, defineStrategy, Registry, type Aggregate, type DatasetLoader, type RunResult, type StrategyPlugin } from '../../core/index.js';
import { runBenchmark, type Selection } from '../../bench/runner/run.js';
import { strategies } from '../../strategies/index.js';
import { syntheticEpisode } from '../strategies/fixtures.js';

const episodes = [syntheticEpisode('alice', 'AAA111'), syntheticEpisode('bob', 'BBB222', 20), syntheticEpisode('carol', 'CCC333', 6)];
const synthetic = defineDataset({ name: 'synthetic', description: 'test episodes', options: z.object({}).strict(), load: async () => ({ name: 'synthetic', episodes, skipped: [] }) });
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const datasets = new Registry<DatasetLoader<any>>('dataset').register(synthetic);

/** A strategy that breaks its contract on purpose: naive's contexts under a declared budget they exceed. */
const overBudget = defineStrategy({
  name: 'over-budget',
  description: "naive's contexts, declared with a budget they exceed",
  options: z.object({ budget: z.number().int().positive().default(20) }).strict(),
  create: ({ budget }, env) => ({ ...strategies.get('naive').create({}, env), budget }),
});

/** The bundled strategies plus one that exceeds its declared budget. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const testStrategies = new Registry<StrategyPlugin<any>>('strategy');
for (const plugin of [...strategies.list(), overBudget]) testStrategies.register(plugin);

/** A real result: the synthetic episodes replayed through the selected strategies. */
export function replaySynthetic(selections: Selection[] = [{ name: 'naive' }, { name: 'token-buffer' }, { name: 'production' }]): Promise<RunResult> {
  return runBenchmark({ datasets: [{ name: 'synthetic' }], strategies: selections, registries: { datasets, strategies: testStrategies } });
}

/** A copy of the result with one strategy's aggregate changed. */
export function withAggregate(result: RunResult, strategy: string, change: (aggregate: Aggregate) => Partial<Aggregate>): RunResult {
  return { ...result, aggregates: result.aggregates.map((a) => (a.strategy === strategy ? { ...a, ...change(a) } : a)) };
}
