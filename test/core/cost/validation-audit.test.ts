import { describe, expect, it } from 'vitest';
import { ConfigError, InputError } from '../../../core/errors.js';
import { callCost, DEFAULT_PRICES, PriceTable, type ModelPrice } from '../../../core/cost/pricing.js';
import { CostTracker, type CostTrackerOptions, type RequestUsage } from '../../../core/cost/tracker.js';

const mine = { model: 'mine', provider: 'openai', input: 2, cachedInput: 1, output: 4 } as const;

/** The error `run` throws, for checking its class and message. */
function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error, none was thrown');
}

describe('PriceTable checks its extra entries with the config file rules', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a NaN price', { input: NaN }, /new PriceTable: model "mine": extra\[0\]\.input = NaN must be a number of USD per 1M tokens/],
    ['an infinite price', { output: Infinity }, /extra\[0\]\.output = Infinity must be a number of USD per 1M tokens/],
    ['a negative price', { output: -1 }, /extra\[0\]\.output = -1 must be zero or more USD per 1M tokens/],
    ['cachedInput above input', { cachedInput: 30 }, /extra\[0\]\.cachedInput = 30 is more than input \(2\)/],
    ['an unknown provider', { provider: 'azure' }, /extra\[0\]\.provider = "azure" must be "openai", "anthropic" or "google"/],
    ['anthropic without cacheWrite', { provider: 'anthropic' }, /extra\[0\]\.cacheWrite = nothing is required for anthropic models/],
    ['a misspelt key', { cachedInputs: 1 }, /extra\[0\]\.cachedInputs is not a price key: did you mean "cachedInput"\?/],
    ['a fractional context window', { contextWindow: 1.5 }, /extra\[0\]\.contextWindow = 1\.5 must be a whole number of tokens/],
  ])('refuses %s with a ConfigError naming the entry, key, value and fix', (_, change, message) => {
    const error = thrown(() => new PriceTable([{ ...mine, ...change } as ModelPrice]));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/fix: /);
  });

  it("names the failing entry's index and model among several", () => {
    const error = thrown(() => new PriceTable([mine, { ...mine, model: 'other', input: NaN }]));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/model "other": extra\[1\]\.input = NaN/);
  });

  it('refuses a model priced twice, as the config file does', () => {
    expect(() => new PriceTable([mine, { ...mine, input: 3 }])).toThrow(/extra\[1\]\.model = "mine" is priced twice[\s\S]*fix: keep one entry for "mine"/);
  });

  it('refuses an entry without a model name', () => {
    expect(() => new PriceTable([{ ...mine, model: '' }])).toThrow(ConfigError);
  });

  it('still accepts valid entries, overrides included', () => {
    const table = new PriceTable([mine, { model: 'gpt-4o', provider: 'openai', input: 5, cachedInput: 2.5, output: 20 }]);
    expect(table.get('mine')).toEqual(mine);
    expect(table.get('gpt-4o').input).toBe(5);
    expect(new PriceTable().get('gpt-4o').input).toBe(2.5);
  });
});

describe('prices are immutable', () => {
  it('cannot change a bundled price for every table in the process', () => {
    const price = new PriceTable().get('gpt-4o');
    expect(() => {
      (price as { input: number }).input = 999;
    }).toThrow(TypeError);
    expect(new PriceTable().get('gpt-4o').input).toBe(2.5);
    expect(Object.isFrozen(DEFAULT_PRICES)).toBe(true);
    expect(DEFAULT_PRICES.every((entry) => Object.isFrozen(entry))).toBe(true);
  });

  it("keeps a copy of an extra entry: the caller's object changing later does not change the table", () => {
    const entry = { ...mine };
    const table = new PriceTable([entry]);
    entry.input = NaN as never;
    expect(table.get('mine').input).toBe(2);
    expect(Object.isFrozen(table.get('mine'))).toBe(true);
  });
});

describe('callCost refuses token counts no provider reports', () => {
  const price = new PriceTable().get('gpt-4o');
  it.each<[string, { input: number; cached: number; output: number; cacheWrite?: number }, RegExp]>([
    ['negative input', { input: -1000, cached: 0, output: 0 }, /input = number -1000 must be a whole number of tokens, zero or more/],
    ['negative output', { input: 10, cached: 0, output: -5 }, /output = number -5 must be a whole number/],
    ['fractional input', { input: 10.5, cached: 0, output: 0 }, /input = number 10\.5 must be a whole number/],
    ['NaN output', { input: 10, cached: 0, output: NaN }, /output = number NaN must be a whole number/],
    ['infinite input', { input: Infinity, cached: 0, output: 0 }, /input = number Infinity must be a whole number/],
    ['cached above input', { input: 100, cached: 1000, output: 0 }, /cached \+ cacheWrite = 1000 exceed input = 100/],
    ['cached plus written above input', { input: 100, cached: 60, cacheWrite: 60, output: 0 }, /cached \+ cacheWrite = 120 exceed input = 100/],
    ['a negative cacheWrite', { input: 100, cached: 0, cacheWrite: -1, output: 0 }, /cacheWrite = number -1 must be a whole number/],
  ])('refuses %s with an InputError', (_, tokens, message) => {
    const error = thrown(() => callCost(price, tokens));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/fix: /);
  });

  it('still prices valid calls', () => {
    expect(callCost(price, { input: 1_000_000, cached: 500_000, output: 0 })).toBeCloseTo(1.25 + 0.625);
    expect(callCost(price, { input: 0, cached: 0, output: 0 })).toBe(0);
  });
});

describe('CostTracker validates dates, periods and option keys', () => {
  const at = (when: unknown): RequestUsage => ({ model: 'gpt-4o', at: when as string });

  it.each(['2024-02-30', '2024-13-45', '2023-02-29', '2024-04-31', '2024-00-10', '2024-02-30T10:00:00Z', 'March 5 2024', '2024-3-5', 'soon'])(
    'refuses at = %j with an InputError',
    (when) => {
      const error = thrown(() => new CostTracker().trackRequest(1000, 0, at(when)));
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toMatch(/is not a valid date[\s\S]*fix: pass a Date, an ISO 8601 time/);
    },
  );

  it.each([[1709251200000], [null], [{}], [new Date('nope')]])('refuses at = %j (not a Date or string) with an InputError', (when) => {
    expect(() => new CostTracker().trackRequest(1000, 0, at(when))).toThrow(InputError);
  });

  it('accepts Date objects, YYYY-MM-DD, ISO times and leap days', () => {
    const tracker = new CostTracker();
    tracker.trackRequest(1000, 0, at(new Date('2024-03-01T12:00:00Z')));
    tracker.trackRequest(1000, 0, at('2024-02-29'));
    tracker.trackRequest(1000, 0, at('2024-03-02T23:30:00.000+02:00'));
    tracker.trackRequest(1000, 0, at('2024-03-03T08:15Z'));
    expect(tracker.usage('2024-02')['gpt-4o']!.requests).toBe(1);
    expect(tracker.usage('2024-03')['gpt-4o']!.requests).toBe(3);
  });

  it('projects a month with finite numbers after refusing an impossible day', () => {
    const tracker = new CostTracker({ clock: () => new Date('2024-03-10T00:00:00Z') });
    expect(() => tracker.trackRequest(1000, 0, at('2024-02-30'))).toThrow(InputError);
    tracker.trackRequest(1000, 0, at('2024-03-01'));
    const projection = tracker.projectMonth('2024-03');
    expect(Number.isFinite(projection.projectedUsd)).toBe(true);
    expect(projection.observedDays).toBe(10);
  });

  it.each(['2024-1', '2024-13', '2024-00', '24', '2024-02-30', '2024-03-5', '2024/03', 'all'])('refuses usage(%j) with an InputError', (period) => {
    const tracker = new CostTracker();
    tracker.trackRequest(1000, 0, at('2024-11-05'));
    const error = thrown(() => tracker.usage(period));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(/period = .* is not a year, month or day[\s\S]*fix: pass a year \(2024\), a month \(2024-03\) or a day/);
  });

  it('takes a year, a month or a day as the usage period', () => {
    const tracker = new CostTracker();
    tracker.trackRequest(1000, 0, at('2024-11-05'));
    tracker.trackRequest(1000, 0, at('2024-01-05'));
    expect(tracker.usage()['gpt-4o']!.requests).toBe(2);
    expect(tracker.usage('2024')['gpt-4o']!.requests).toBe(2);
    expect(tracker.usage('2024-01')['gpt-4o']!.requests).toBe(1);
    expect(tracker.usage('2024-11-05')['gpt-4o']!.requests).toBe(1);
    expect(tracker.usage('2024-11-06')).toEqual({});
  });

  it('refuses an impossible month in projectMonth and monthlyCost', () => {
    const tracker = new CostTracker();
    expect(() => tracker.projectMonth('2024-13')).toThrow(InputError);
    expect(() => tracker.monthlyCost('2024-00')).toThrow(InputError);
    expect(() => tracker.dailyCost('2024-02-30')).toThrow(InputError);
  });

  it('refuses an unknown tracker option with a did-you-mean', () => {
    const error = thrown(() => new CostTracker({ dailyLimit: 5 } as CostTrackerOptions));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/CostTracker option "dailyLimit" is not known[\s\S]*fix: did you mean "dailyLimitUsd"\?/);
  });

  it('refuses an unknown usage key with a did-you-mean', () => {
    const error = thrown(() => new CostTracker().trackRequest(1000, 0, { model: 'gpt-4o', cached: 1000 } as RequestUsage));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(/trackRequest usage key "cached" is not known[\s\S]*fix: did you mean "cachedTokens"\?/);
  });

  it('refuses usage that is not an object naming a model', () => {
    expect(() => new CostTracker().trackRequest(1000, 0, undefined as unknown as RequestUsage)).toThrow(InputError);
    expect(() => new CostTracker().trackRequest(1000, 0, { model: 4 } as unknown as RequestUsage)).toThrow(InputError);
  });
});
