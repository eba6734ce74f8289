import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { gridPoints, heldToBest, meanReferences, writeGeneratedConstant, pairedLowerBound, TUNING_PLANS, withinOfNaive, type Measured, type Point } from '../../bench/tune-production.js';
import { writeTrainFolds } from '../../bench/tune-tools.js';
import { sgd } from '../../datasets/sgd.js';
import { sharedCounter, type Aggregate, type Episode } from '../../core/index.js';
import { syntheticEpisode } from './fixtures.js';
import { bundledLocomoFiles, locomo } from '../../datasets/locomo.js';
import { tauBenchAirline } from '../../datasets/tau-bench.js';
import { strategies } from '../../strategies/index.js';
import { productionSettings } from '../../strategies/production.js';
import { PRODUCTION_DEFAULTS, TUNED_SETTINGS } from '../../strategies/production-settings.js';

const aggregate = (metrics: Record<string, number>, cost = 1): Aggregate =>
  ({ costPerConversation: cost, inputTokens: { mean: 1000 }, metrics: Object.fromEntries(Object.entries(metrics).map(([k, mean]) => [k, { mean, ci95: [mean, mean] }])) }) as unknown as Aggregate;
/** A replay whose episodes (40 unless given) scored these values per metric. */
const measured = (metrics: Record<string, number[]>, cost = 1): Measured => ({
  aggregate: aggregate(Object.fromEntries(Object.entries(metrics).map(([k, values]) => [k, values.reduce((a, b) => a + b, 0) / values.length])), cost),
  episodes: new Map(Object.entries(metrics).map(([k, values]) => [k, new Map(values.map((value, i) => [`episode-${i}`, value]))])),
});
const all = (value: number, n = 40) => Array.from({ length: n }, () => value);
/** n episodes at 1, but `misses` of them at `low`. */
const withMisses = (misses: number, low: number, n = 40) => Array.from({ length: n }, (_, i) => (i < misses ? low : 1));

describe('production settings', () => {
  it('takes the options given, else the dataset tuned values, else the built-in defaults', () => {
    const base = strategies.get('production').defaults as Parameters<typeof productionSettings>[0];
    expect(productionSettings(base, 'no-such-dataset')).toEqual({ ...PRODUCTION_DEFAULTS, ...base });
    for (const [dataset, tuned] of Object.entries(TUNED_SETTINGS)) {
      expect(productionSettings(base, dataset)).toEqual({ ...PRODUCTION_DEFAULTS, ...tuned.settings, ...base });
      expect(productionSettings({ ...base, workingTokens: 1234 }, dataset).workingTokens).toBe(1234);
    }
  });

  it("declares each dataset's section budget for its conversations, and the largest as its own", () => {
    const plugin = strategies.get('production');
    const strategy = plugin.create(plugin.defaults, { counter: sharedCounter('gpt-4o'), model: 'gpt-4o' });
    const episode = syntheticEpisode('jo', 'JJJ000', 2);
    const budgets = ['synthetic', ...Object.keys(TUNED_SETTINGS)].map((dataset) => strategy.startEpisode({ ...episode, dataset }).budget);
    expect(budgets.every((budget) => typeof budget === 'number' && budget <= strategy.budget!)).toBe(true);
    expect(Math.max(...(budgets as number[]))).toBe(strategy.budget);
    // A larger working memory grows the history's budget, and the total with it, on every dataset alike.
    const given = plugin.create({ ...plugin.defaults, workingTokens: 4000 }, { counter: sharedCounter('gpt-4o'), model: 'gpt-4o' });
    expect(given.startEpisode(episode).budget).toBe(given.budget);
    expect(given.startEpisode(episode).budget).toBeGreaterThan(strategy.startEpisode(episode).budget as number);
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

  it("tunes SGD on the train split's tuning fold: no dialogue the default replay reports, none the router learns from", async () => {
    const options = TUNING_PLANS.sgd!.dataset.options as Record<string, string>;
    const train = fileURLToPath(new URL('../../datasets/data/sgd/train', import.meta.url));
    expect(options.schema).toBe(join(train, 'schema.json'));
    expect(options.trainSchema).toBe(join(train, 'schema.json'));
    // The plan writes its folds where its options read them.
    await TUNING_PLANS.sgd!.prepare!();
    for (const file of [options.dialogues!, options.trainDialogues!]) expect(existsSync(file), file).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'ctxbench-sgd-plan-'));
    try {
      const folds = await writeTrainFolds(train, dir);
      expect(readFileSync(options.dialogues!, 'utf8')).toBe(readFileSync(folds.tuning.file, 'utf8'));
      expect(readFileSync(options.trainDialogues!, 'utf8')).toBe(readFileSync(folds.router.file, 'utf8'));
      expect(folds.tuning.ids.filter((id) => folds.router.ids.includes(id))).toEqual([]);
      // SGD's splits reuse dialogue ids ("1_00000"), so dialogues are compared by what the customer says.
      const said = (episode: Episode) => JSON.stringify(episode.messages.filter((m) => m.role === 'user').map((m) => m.content));
      const reported = new Set((await sgd.load(sgd.defaults())).episodes.map(said));
      const dev = await sgd.load({ ...sgd.defaults(), ...options, dialogues: folds.tuning.file, trainDialogues: folds.router.file });
      expect(dev.episodes.length).toBeGreaterThan(20);
      expect(dev.episodes.filter((episode) => reported.has(said(episode))).map((episode) => episode.id)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('measures every combination of the grid over the defaults', () => {
    const points = gridPoints({ workingTokens: [1000, 2000], memoryTokens: [0, 600, 1200] });
    expect(points).toHaveLength(6);
    expect(new Set(points.map((p) => `${p.workingTokens}/${p.memoryTokens}`)).size).toBe(6);
    expect(points.every((p) => p.summaryTokens === PRODUCTION_DEFAULTS.summaryTokens)).toBe(true);
  });

  it('holds conversation facts within 2 points of naive by the paired interval, not by the mean alone, and the other metrics by their mean', () => {
    const naive = measured({ factRetention: all(1), policyPresence: all(1) });
    const point = (metrics: Record<string, number[]>): Point => ({ settings: PRODUCTION_DEFAULTS, ...measured(metrics) });
    // Every episode 1 point down: the interval is the point itself.
    expect(withinOfNaive(point({ factRetention: all(0.99), policyPresence: all(0.985) }), naive)).toBe(true);
    expect(pairedLowerBound(point({ factRetention: all(0.99) }), naive, 'factRetention')).toBeCloseTo(-0.01, 10);
    // A mean 1 point down from one episode at 0.6 of 40: within 2 points on the mean, not by the interval.
    const lucky = point({ factRetention: withMisses(1, 0.6), policyPresence: all(1) });
    expect(lucky.aggregate.metrics.factRetention!.mean).toBeCloseTo(0.99, 10);
    expect(withinOfNaive(lucky, naive)).toBe(false);
    expect(withinOfNaive(point({ factRetention: all(1), policyPresence: all(0.97) }), naive)).toBe(false);
    // Policy presence is held by its mean: one episode of 40 at 0.6 is 1 point down.
    expect(withinOfNaive(point({ factRetention: all(1), policyPresence: withMisses(1, 0.6) }), naive)).toBe(true);
    // A metric naive scores and the point does not is a loss; one naive does not score is not held.
    expect(withinOfNaive(point({ policyPresence: all(1) }), naive)).toBe(false);
    expect(withinOfNaive(point({ factRetention: all(1), policyPresence: all(1), toolPresence: all(0) }), naive)).toBe(true);
  });

  it('picks the cheapest eligible point on tau-bench, and none when nothing is eligible', () => {
    const naive = measured({ factRetention: all(1) });
    const at = (cost: number, facts: number[]): Point => ({ settings: { ...PRODUCTION_DEFAULTS, workingTokens: cost * 1000 }, ...measured({ factRetention: facts }, cost) });
    const points = [at(0.5, all(0.9)), at(0.55, withMisses(1, 0.6)), at(0.7, all(1)), at(0.6, all(0.99))];
    expect(TUNING_PLANS['tau-bench-airline']!.pick(points, naive)).toBe(points[3]);
    expect(TUNING_PLANS['tau-bench-airline']!.pick([at(0.5, all(0.9))], naive)).toBeUndefined();
  });

  it("holds a metric the plan names to the best point when no point brings it within 2 points of naive, any other metric and conversation facts never", () => {
    const naive = measured({ factRetention: all(1), toolPresence: all(1) });
    const at = (cost: number, facts: number[], tools: number): Point => ({ settings: PRODUCTION_DEFAULTS, ...measured({ factRetention: facts, toolPresence: all(tools) }, cost) });
    // SGD's case: tool presence 0.958 at every point, set by the tool router.
    const flat = [at(0.45, all(0.9), 0.958), at(0.5, all(1), 0.958), at(0.6, all(1), 0.93)];
    expect(meanReferences(flat, naive, ['toolPresence']).get('toolPresence')).toBeCloseTo(0.958, 10);
    expect(meanReferences(flat, naive).get('toolPresence')).toBe(1);
    expect(meanReferences(flat, naive, ['toolPresence', 'factRetention']).has('factRetention')).toBe(false);
    expect(TUNING_PLANS.sgd!.pick(flat, naive)).toBe(flat[1]);
    expect(heldToBest(flat, naive, ['toolPresence'])).toEqual([expect.stringContaining("toolPresence held to the best point's 0.958 (naive 1.000")]);
    // tau-bench names no such metric: a grid that misses naive's policy finds no point rather than a lower bar.
    expect(TUNING_PLANS['tau-bench-airline']!.pick(flat, naive)).toBeUndefined();
    const policyNaive = measured({ factRetention: all(1), policyPresence: all(1) });
    const policy = (cost: number, value: number): Point => ({ settings: PRODUCTION_DEFAULTS, ...measured({ factRetention: all(1), policyPresence: all(value) }, cost) });
    expect(TUNING_PLANS['tau-bench-airline']!.pick([policy(0.5, 0.96), policy(0.7, 0.979)], policyNaive)).toBeUndefined();
    expect(TUNING_PLANS['tau-bench-airline']!.pick([policy(0.5, 0.96), policy(0.7, 0.983)], policyNaive)!.aggregate.costPerConversation).toBe(0.7);
    // Where a point comes within 2 points of naive, naive stays the reference.
    const reaching = [at(0.5, all(1), 0.958), at(0.7, all(1), 0.99)];
    expect(meanReferences(reaching, naive, ['toolPresence']).get('toolPresence')).toBe(1);
    expect(TUNING_PLANS.sgd!.pick(reaching, naive)).toBe(reaching[1]);
    expect(heldToBest(reaching, naive, ['toolPresence'])).toEqual([]);
    // Facts never fall back: no point within 2 points of naive's facts is no point at all.
    expect(TUNING_PLANS.sgd!.pick([at(0.5, all(0.9), 1)], naive)).toBeUndefined();
  });


  it('rewrites only the generated block of a settings file, and refuses a file without one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctxbench-generated-'));
    try {
      const file = join(dir, 'settings.ts');
      writeFileSync(file, '// head\n// BEGIN TUNED\nexport const TUNED: T = {};\n// END TUNED\n// tail\n');
      writeGeneratedConstant(pathToFileURL(file), 'TUNED', 'T', { a: 1 }, 'npm run x');
      expect(readFileSync(file, 'utf8')).toBe('// head\n// BEGIN TUNED (generated by npm run x)\nexport const TUNED: T = {\n  "a": 1\n};\n// END TUNED\n// tail\n');
      writeFileSync(file, '// no block\n');
      expect(() => writeGeneratedConstant(pathToFileURL(file), 'TUNED', 'T', {}, 'npm run x')).toThrow(/has no "\/\/ BEGIN TUNED"/);
      expect(readFileSync(file, 'utf8')).toBe('// no block\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
