import { describe, expect, it } from 'vitest';
import { ConfigError, PriceTable, sharedCounter, TECHCORP_SCENARIO, type Strategy } from '../../core/index.js';
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

  it("a budgeted baseline keeps each dataset's tuned budget in its contexts, and declares the largest as its own", async () => {
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

  it('refuses a summary cap at or above the budget of any dataset before any work, naming the dataset', () => {
    const plugin = strategies.get('summary-buffer');
    expect(() => plugin.create({ summaryTokens: 3000 }, { counter, model: 'gpt-4o' })).toThrow(ConfigError);
    expect(() => plugin.create({ summaryTokens: 3000 }, { counter, model: 'gpt-4o' })).toThrow(/summaryTokens \(3000\) must be below maxTokens \(3000\) with the built-in defaults/);
    // A tuned budget below the default (LoCoMo's question budget) is where a given cap fails on one dataset only.
    const smaller = Object.entries(TUNED_BASELINES['summary-buffer']).filter(([dataset]) => baselineSettings('summary-buffer', {}, dataset).maxTokens < BASELINE_DEFAULTS['summary-buffer'].maxTokens);
    expect(smaller.length).toBeGreaterThan(0);
    for (const [dataset, tuned] of smaller) {
      const budget = baselineSettings('summary-buffer', {}, dataset).maxTokens;
      const escaped = JSON.stringify(tuned.settings).replace(/[{}[\]]/g, '\\$&');
      expect(() => plugin.create({ summaryTokens: budget }, { counter, model: 'gpt-4o' })).toThrow(new RegExp(`maxTokens \\(${budget}\\) on ${dataset}, whose tuned settings are ${escaped}`));
      // Both limits given hold on every dataset: nothing to contradict.
      expect(() => plugin.create({ maxTokens: budget + 100, summaryTokens: budget }, { counter, model: 'gpt-4o' })).not.toThrow();
    }
    expect(() => plugin.create({ maxTokens: 900, summaryTokens: 300 }, { counter, model: 'gpt-4o' })).not.toThrow();
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
