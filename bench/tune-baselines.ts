/**
 * Chooses each baseline's limits per dataset on its development split, by the rule production's
 * settings are chosen by (bench/tune-production.ts: the same development data, the same pick), and
 * writes them to strategies/baseline-settings.ts. A baseline judged at a default limit that leaves
 * it no room for the history (tau-bench's 2,836 tokens of policy and tools under a 3,000-token
 * budget) is a straw man; tuned on the same data by the same rule, it is what a careful user
 * would run instead of production.
 *   npm run tune:baselines [-- --strategy token-buffer] [--dataset tau-bench-airline] [--dry-run]
 */
import { parseArgs } from 'node:util';
import { BASELINE_DEFAULTS, TUNED_BASELINES, type BaselineName, type TunedBaseline } from '../strategies/baseline-settings.js';
import { machine } from './micro/print.js';
import { gridOver, measureGrid, naiveLine, replay, TUNING_PLANS, writeGeneratedConstant, type Measured } from './tune-production.js';

type Limits = Record<string, number>;

/**
 * The grid of each baseline on each dataset with a tuning plan: wide enough that the limits reach
 * naive's fidelity where they can (a token budget larger than any conversation is naive without
 * the customer record), and within the question budget on LoCoMo (1,800 tokens).
 */
export const BASELINE_GRIDS: Record<BaselineName, Record<string, Record<string, number[]>>> = {
  'sliding-window': {
    'tau-bench-airline': { messages: [8, 12, 16, 24, 32, 48] },
    'openai-jsonl': { messages: [4, 8, 12, 16, 24, 32] },
    locomo: { messages: [4, 8, 12, 16, 24, 32] },
    sgd: { messages: [8, 12, 16, 24, 32, 48] },
  },
  'token-buffer': {
    'tau-bench-airline': { maxTokens: [3000, 3500, 4000, 4500, 5000, 5500, 6000, 7000, 8000, 10000] },
    'openai-jsonl': { maxTokens: [1000, 1500, 2000, 3000, 4000, 6000, 8000] },
    locomo: { maxTokens: [600, 1000, 1400, 1800] },
    sgd: { maxTokens: [3000, 4000, 5000, 6000, 8000, 10000] },
  },
  'summary-buffer': {
    'tau-bench-airline': { maxTokens: [3000, 3500, 4000, 4500, 5000, 6000], summaryTokens: [500, 800, 1200] },
    'openai-jsonl': { maxTokens: [1000, 2000, 3000, 4000, 6000], summaryTokens: [250, 500, 800] },
    locomo: { maxTokens: [1000, 1400, 1800], summaryTokens: [250, 500, 800] },
    sgd: { maxTokens: [4000, 6000, 8000, 10000, 12000], summaryTokens: [250, 500] },
  },
  rag: {
    'tau-bench-airline': { maxTokens: [3000, 4000, 5000, 6000], candidates: [30, 100], tools: [4, 8, 14] },
    'openai-jsonl': { maxTokens: [1000, 2000, 3000, 5000], candidates: [30, 100] },
    locomo: { maxTokens: [1000, 1400, 1800], candidates: [30, 100, 250] },
    sgd: { maxTokens: [2000, 4000, 8000], tools: [4, 16, 64] },
  },
};

/** Points whose summary cap is not below their budget are not valid settings of summary-buffer. */
const valid = (name: BaselineName, limits: Limits) => name !== 'summary-buffer' || limits.summaryTokens! < limits.maxTokens!;

const changed = (name: BaselineName, limits: Limits): Limits =>
  Object.fromEntries(Object.entries(limits).filter(([key, value]) => (BASELINE_DEFAULTS[name] as Limits)[key] !== value));

/** Rewrites the TUNED_BASELINES block of strategies/baseline-settings.ts. */
function writeSettings(tuned: Record<BaselineName, Record<string, TunedBaseline>>): void {
  writeGeneratedConstant(new URL('../strategies/baseline-settings.ts', import.meta.url), 'TUNED_BASELINES', 'Readonly<Record<BaselineName, Readonly<Record<string, TunedBaseline>>>>', tuned, 'npm run tune:baselines');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { strategy: { type: 'string', multiple: true }, dataset: { type: 'string', multiple: true }, 'dry-run': { type: 'boolean', default: false } } });
  const names = (values.strategy ?? Object.keys(BASELINE_GRIDS)) as BaselineName[];
  const unknownStrategy = names.find((name) => !BASELINE_GRIDS[name]);
  if (unknownStrategy) throw new Error(`no grid for strategy "${unknownStrategy}": use one of ${Object.keys(BASELINE_GRIDS).join(', ')}`);
  const datasetNames = values.dataset ?? Object.keys(TUNING_PLANS);
  const unknownDataset = datasetNames.find((name) => !TUNING_PLANS[name]);
  if (unknownDataset) throw new Error(`no tuning plan for dataset "${unknownDataset}": use one of ${Object.keys(TUNING_PLANS).join(', ')}`);
  const tuned = Object.fromEntries(Object.entries(TUNED_BASELINES).map(([name, perDataset]) => [name, { ...perDataset }])) as Record<BaselineName, Record<string, TunedBaseline>>;
  console.log(`# Baseline limits chosen on development data, by production's rule\n\n${machine()}, ${new Date().toISOString().slice(0, 10)}`);
  for (const dataset of datasetNames) {
    const plan = TUNING_PLANS[dataset]!;
    await plan.prepare?.();
    const naive: Measured = await replay(plan.dataset, { name: 'naive' });
    console.log(`\n## ${dataset}\n\n${naiveLine(plan, naive)}`);
    for (const name of names) {
      const grid = BASELINE_GRIDS[name][dataset];
      if (!grid) continue;
      console.log(`\n### ${name}\n`);
      const points = gridOver<Limits>({ ...BASELINE_DEFAULTS[name] }, grid).filter((limits) => valid(name, limits));
      const chosen = await measureGrid(plan, naive, name, points, (limits) => JSON.stringify(limits), 'settings');
      if (chosen) tuned[name][dataset] = { chosenOn: plan.chosenOn, settings: changed(name, chosen.settings) };
      else delete tuned[name][dataset];
    }
  }
  if (!values['dry-run']) writeSettings(tuned);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main().catch((error: unknown) => {
    console.error(`tune-baselines: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  });
}
