import { describe, expect, it } from 'vitest';
import { gridPoints, TUNING_PLANS, withinOfNaive, type Point } from '../../bench/tune-production.js';
import type { Aggregate } from '../../core/index.js';
import { bundledLocomoFiles, locomo } from '../../datasets/locomo.js';
import { tauBenchAirline } from '../../datasets/tau-bench.js';
import { strategies } from '../../strategies/index.js';
import { productionSettings } from '../../strategies/production.js';
import { PRODUCTION_DEFAULTS, TUNED_SETTINGS } from '../../strategies/production-settings.js';

const aggregate = (metrics: Record<string, number>, cost = 1): Aggregate =>
  ({ costPerConversation: cost, inputTokens: { mean: 1000 }, metrics: Object.fromEntries(Object.entries(metrics).map(([k, mean]) => [k, { mean, ci95: [mean, mean] }])) }) as unknown as Aggregate;

describe('production settings', () => {
  it('takes the options given, else the dataset tuned values, else the built-in defaults', () => {
    const base = strategies.get('production').defaults as Parameters<typeof productionSettings>[0];
    expect(productionSettings(base, 'no-such-dataset')).toEqual({ ...PRODUCTION_DEFAULTS, ...base });
    for (const [dataset, tuned] of Object.entries(TUNED_SETTINGS)) {
      expect(productionSettings(base, dataset)).toEqual({ ...PRODUCTION_DEFAULTS, ...tuned.settings, ...base });
      expect(productionSettings({ ...base, workingTokens: 1234 }, dataset).workingTokens).toBe(1234);
    }
  });

  it('were chosen on development data only, named in each entry', () => {
    for (const [dataset, tuned] of Object.entries(TUNED_SETTINGS)) {
      expect(TUNING_PLANS[dataset]).toBeDefined();
      expect(tuned.chosenOn).toBe(TUNING_PLANS[dataset]!.chosenOn);
      expect(Object.keys(tuned.settings).every((key) => key in PRODUCTION_DEFAULTS)).toBe(true);
    }
  });
});

describe('the tuning script', () => {
  it('tunes on splits the default replay never reports', async () => {
    expect(TUNING_PLANS['tau-bench-airline']!.dataset.options).toEqual({ split: 'dev' });
    const reported = new Set((await tauBenchAirline.load(tauBenchAirline.defaults())).episodes.map((e) => e.id));
    const dev = (await tauBenchAirline.load({ ...tauBenchAirline.defaults(), split: 'dev' })).episodes.map((e) => e.id);
    expect(dev.filter((id) => reported.has(id))).toEqual([]);
    const locomoDev = TUNING_PLANS.locomo!.dataset.options!.files as string[];
    expect(locomoDev).toEqual(bundledLocomoFiles('dev'));
    expect(locomo.defaults().files.filter((file) => locomoDev.includes(file))).toEqual([]);
  });

  it('measures every combination of the grid over the defaults', () => {
    const points = gridPoints({ workingTokens: [1000, 2000], memoryTokens: [0, 600, 1200] });
    expect(points).toHaveLength(6);
    expect(new Set(points.map((p) => `${p.workingTokens}/${p.memoryTokens}`)).size).toBe(6);
    expect(points.every((p) => p.summaryTokens === PRODUCTION_DEFAULTS.summaryTokens)).toBe(true);
  });

  it('holds every fidelity metric within 2 points of naive', () => {
    const naive = aggregate({ factRetention: 1, policyPresence: 1 });
    const point = (metrics: Record<string, number>): Point => ({ settings: PRODUCTION_DEFAULTS, aggregate: aggregate(metrics) });
    expect(withinOfNaive(point({ factRetention: 0.98, policyPresence: 0.985 }), naive)).toBe(true);
    expect(withinOfNaive(point({ factRetention: 0.97, policyPresence: 1 }), naive)).toBe(false);
    expect(withinOfNaive(point({ factRetention: 1, policyPresence: 0.975 }), naive)).toBe(false);
    expect(withinOfNaive(point({ policyPresence: 1 }), naive)).toBe(false);
  });

  it('picks the cheapest eligible point on tau-bench, and none when nothing is eligible', () => {
    const naive = aggregate({ factRetention: 1 });
    const at = (cost: number, facts: number): Point => ({ settings: { ...PRODUCTION_DEFAULTS, workingTokens: cost * 1000 }, aggregate: aggregate({ factRetention: facts }, cost) });
    const points = [at(0.5, 0.9), at(0.7, 0.99), at(0.6, 0.985)];
    expect(TUNING_PLANS['tau-bench-airline']!.pick(points, naive)).toBe(points[2]);
    expect(TUNING_PLANS['tau-bench-airline']!.pick([at(0.5, 0.9)], naive)).toBeUndefined();
  });
});
