import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, defineDataset, PriceTable, Registry, sharedCounter, TECHCORP_SCENARIO, type DatasetLoader, type Strategy } from '../../core/index.js';
import { runBenchmark } from '../../bench/runner/run.js';
import { showTurn } from '../../bench/show.js';
import { replayEpisode } from '../../bench/runner/episode.js';
import { BASELINE_GRIDS } from '../../bench/tune-baselines.js';
import { TUNING_PLANS } from '../../bench/tune-production.js';
import { BASELINE_DEFAULTS, baselineSettings, TUNED_BASELINES, type BaselineName } from '../../strategies/baseline-settings.js';
import { strategies } from '../../strategies/index.js';
import { syntheticEpisode } from './fixtures.js';

const counter = sharedCounter('gpt-4o');
const names = Object.keys(BASELINE_DEFAULTS) as BaselineName[];
const tunedEntries = names.flatMap((name) => Object.entries(TUNED_BASELINES[name]).map(([dataset, tuned]) => ({ name, dataset, tuned })));

describe('baseline settings', () => {
  it('take the options given, else the dataset tuned values, else the built-in defaults', () => {
    for (const name of names) expect(baselineSettings(name, {}, 'no-such-dataset')).toEqual(BASELINE_DEFAULTS[name]);
    expect(tunedEntries.length).toBeGreaterThan(0);
    for (const { name, dataset, tuned } of tunedEntries) {
      expect(baselineSettings(name, {}, dataset)).toEqual({ ...BASELINE_DEFAULTS[name], ...tuned.settings });
      const [key] = Object.keys(BASELINE_DEFAULTS[name]);
      expect((baselineSettings(name, { [key!]: 1234 }, dataset) as Record<string, number>)[key!]).toBe(1234);
    }
  });

  it('were chosen on development data by the rule production is tuned by, named in each entry', () => {
    for (const { name, dataset, tuned } of tunedEntries) {
      expect(TUNING_PLANS[dataset], `${name} on ${dataset}`).toBeDefined();
      expect(tuned.chosenOn).toBe(TUNING_PLANS[dataset]!.chosenOn);
      expect(Object.keys(tuned.settings).every((key) => key in BASELINE_DEFAULTS[name])).toBe(true);
    }
    for (const name of names) {
      for (const [dataset, grid] of Object.entries(BASELINE_GRIDS[name])) {
        expect(TUNING_PLANS[dataset], `${name} grid on ${dataset}`).toBeDefined();
        expect(Object.keys(grid).every((key) => key in BASELINE_DEFAULTS[name])).toBe(true);
      }
    }
  });

  it("a budgeted baseline declares each dataset's tuned budget for its conversations, and the largest as its own", async () => {
    const tuned = tunedEntries.filter(({ name, tuned }) => name === 'token-buffer' && tuned.settings.maxTokens !== undefined);
    expect(tuned.length).toBeGreaterThan(0);
    const plugin = strategies.get('token-buffer');
    const strategy = plugin.create(plugin.defaults, { counter, model: 'gpt-4o' });
    expect(strategy.budget).toBe(Math.max(BASELINE_DEFAULTS['token-buffer'].maxTokens, ...tuned.map(({ tuned }) => tuned.settings.maxTokens!)));
    const episode = syntheticEpisode('erin', 'EEE555', 30);
    expect(strategy.startEpisode(episode).budget).toBe(BASELINE_DEFAULTS['token-buffer'].maxTokens);
    for (const { dataset, tuned: entry } of tuned) expect(strategy.startEpisode({ ...episode, dataset }).budget).toBe(entry.settings.maxTokens);
    // Given, the option holds on every dataset.
    const given = plugin.create({ maxTokens: 900 }, { counter, model: 'gpt-4o' });
    expect(given.budget).toBe(900);
    expect(given.startEpisode({ ...episode, dataset: tuned[0]!.dataset }).budget).toBe(900);
  });

  it("refuses a summary cap at or above a dataset's budget on that dataset only, naming option, value, dataset and fix", () => {
    const plugin = strategies.get('summary-buffer');
    const env = { counter, model: 'gpt-4o' };
    // Both given and contradictory: refused as the options are read.
    expect(() => plugin.create({ maxTokens: 500, summaryTokens: 600 }, env)).toThrow(/option summaryTokens = 600 is invalid: it must be below maxTokens \(500, given\)/);
    try {
      plugin.create({ maxTokens: 500, summaryTokens: 600 }, env);
    } catch (error) {
      expect((error as ConfigError).hint).toBe('set summaryTokens below 500, or raise maxTokens above 600');
    }
    expect(() => plugin.checkFor!({ maxTokens: 500, summaryTokens: 600 }, ['synthetic'])).toThrow(/on dataset "synthetic": it must be below maxTokens \(500, given\)/);
    // A tuned budget below the default (LoCoMo's question budget) is where a given cap fails on one dataset only.
    const smaller = Object.keys(TUNED_BASELINES['summary-buffer']).filter((dataset) => baselineSettings('summary-buffer', {}, dataset).maxTokens < BASELINE_DEFAULTS['summary-buffer'].maxTokens);
    expect(smaller.length).toBeGreaterThan(0);
    const episode = syntheticEpisode('gus', 'GGG777', 4);
    for (const dataset of smaller) {
      const budget = baselineSettings('summary-buffer', {}, dataset).maxTokens;
      const strategy = plugin.create({ summaryTokens: budget }, env);
      expect(() => strategy.startEpisode(episode)).not.toThrow();
      const message = new RegExp(`option summaryTokens = ${budget} is invalid on dataset "${dataset}": it must be below maxTokens \\(${budget}, its tuned value on ${dataset}\\)`);
      expect(() => strategy.startEpisode({ ...episode, dataset })).toThrow(message);
      expect(() => plugin.checkFor!({ summaryTokens: budget }, ['synthetic', dataset])).toThrow(ConfigError);
      expect(() => plugin.checkFor!({ summaryTokens: budget }, ['synthetic', dataset])).toThrow(message);
      expect(() => plugin.checkFor!({ summaryTokens: budget }, ['synthetic'])).not.toThrow();
      expect(() => plugin.checkFor!({ summaryTokens: budget, maxTokens: budget + 100 }, [dataset])).not.toThrow();
      try {
        plugin.checkFor!({ summaryTokens: budget }, [dataset]);
      } catch (error) {
        expect((error as ConfigError).hint).toBe(`set summaryTokens below ${budget}, or give maxTokens above ${budget} as well`);
      }
    }
    // A budget given below a tuned summary cap names the budget.
    const summaries = Object.keys(TUNED_BASELINES['summary-buffer']).filter((dataset) => TUNED_BASELINES['summary-buffer'][dataset]!.settings.summaryTokens !== undefined);
    for (const dataset of summaries) {
      const cap = baselineSettings('summary-buffer', {}, dataset).summaryTokens;
      expect(() => plugin.checkFor!({ maxTokens: cap }, [dataset])).toThrow(new RegExp(`option maxTokens = ${cap} is invalid on dataset "${dataset}": it must be above summaryTokens \\(${cap}, its tuned value on ${dataset}\\)`));
    }
  });

  it('refuses such options before any input is read', async () => {
    const dataset = Object.keys(TUNED_BASELINES['summary-buffer']).find((name) => baselineSettings('summary-buffer', {}, name).maxTokens < BASELINE_DEFAULTS['summary-buffer'].maxTokens)!;
    let loads = 0;
    const loader = defineDataset({
      name: dataset,
      description: 'counts its loads',
      options: z.object({}).strict(),
      load: async () => {
        loads++;
        return { name: dataset, episodes: [{ ...syntheticEpisode('hal', 'HHH888', 3), dataset }], skipped: [] };
      },
    });
    const registries = { datasets: new Registry<DatasetLoader<any>>('dataset').register(loader), strategies }; // eslint-disable-line @typescript-eslint/no-explicit-any
    const budget = baselineSettings('summary-buffer', {}, dataset).maxTokens;
    await expect(runBenchmark({ datasets: [{ name: dataset }], strategies: [{ name: 'summary-buffer', options: { summaryTokens: budget } }], registries, concurrency: 1 })).rejects.toThrow(ConfigError);
    expect(loads).toBe(0);
    await runBenchmark({ datasets: [{ name: dataset }], strategies: [{ name: 'summary-buffer', options: { summaryTokens: budget - 1 } }], registries, concurrency: 1 });
    expect(loads).toBe(1);
  });
});

describe('the replay', () => {
  it("judges each context against its conversation's budget, not only the strategy's largest", async () => {
    const episode = syntheticEpisode('fay', 'FFF666', 3);
    const context = { messages: [{ role: 'system' as const, content: 'word '.repeat(200) }], sections: {} };
    const strategy = (sessionBudget: number | null | undefined): Strategy => ({
      budget: 5000,
      startEpisode: () => ({ ...(sessionBudget === undefined ? {} : { budget: sessionBudget }), assemble: () => context }),
    });
    const replay = (s: Strategy) => replayEpisode('synthetic', 'x', s, episode, { counter, prices: new PriceTable(), scenario: TECHCORP_SCENARIO });
    const own = await replay(strategy(100));
    expect(own.every((row) => row.budget === 100 && row.overBudget)).toBe(true);
    const inherited = await replay(strategy(undefined));
    expect(inherited.every((row) => row.budget === 5000 && !row.overBudget)).toBe(true);
    const none = await replay(strategy(null));
    expect(none.every((row) => row.budget === null && !row.overBudget)).toBe(true);
  });
});

describe('the result', () => {
  it('records the settings each tuned strategy ran with on each dataset, and show rebuilds the turn with them after a re-tune', async () => {
    const dataset = Object.keys(TUNED_BASELINES['token-buffer']).find((name) => TUNED_BASELINES['token-buffer'][name]!.settings.maxTokens !== undefined)!;
    const loader = defineDataset({
      name: dataset,
      description: 'one long conversation',
      options: z.object({}).strict(),
      load: async () => ({ name: dataset, episodes: [{ ...syntheticEpisode('ivy', 'III999', 30), dataset }], skipped: [] }),
    });
    const registries = { datasets: new Registry<DatasetLoader<any>>('dataset').register(loader), strategies }; // eslint-disable-line @typescript-eslint/no-explicit-any
    const result = await runBenchmark({ datasets: [{ name: dataset }], strategies: [{ name: 'token-buffer' }, { name: 'production' }, { name: 'naive' }], registries, concurrency: 1 });
    expect(result.config.strategySettings?.['token-buffer']?.[dataset]).toEqual(baselineSettings('token-buffer', {}, dataset));
    expect(Object.keys(result.config.strategySettings?.production?.[dataset] ?? {})).toContain('workingTokens');
    expect(result.config.strategySettings?.naive).toBeUndefined();
    const episode = result.turns![0]!.episode;
    const turn = result.turns!.filter((row) => row.strategy === 'token-buffer').length - 1;
    const show = () => showTurn(result, { dataset, strategy: 'token-buffer', episode, turn, registries });
    const recorded = result.turns!.filter((row) => row.strategy === 'token-buffer').at(-1)!.inputTokens;
    expect(recorded).toBeGreaterThan(600);
    expect((await show()).inputTokens).toBe(recorded);
    // The run's tuned budget, not today's: as if the limit had been re-tuned since.
    result.config.strategySettings!['token-buffer']![dataset] = { maxTokens: 600 };
    expect((await show()).inputTokens).toBeLessThanOrEqual(600);
  });
});
