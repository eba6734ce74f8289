import { describe, expect, it } from 'vitest';
import { ConfigError, InputError, PriceTable } from '../../../core/index.js';
import { CostTracker, type CostAlert, type CostTrackerOptions } from '../../../core/cost/tracker.js';

/** A tracker whose clock the test moves by hand. */
function trackerAt(start: string, options: CostTrackerOptions = {}) {
  let now = new Date(start);
  const alerts: CostAlert[] = [];
  const tracker = new CostTracker({ clock: () => now, onAlert: (alert) => alerts.push(alert), ...options });
  return { tracker, alerts, setNow: (time: string) => (now = new Date(time)) };
}

describe('request cost', () => {
  it('prices a gpt-4o request without cached tokens by hand', () => {
    const { tracker } = trackerAt('2025-03-10T12:00:00Z');
    // 10,000 x $2.50/M + 500 x $10/M = $0.025 + $0.005
    expect(tracker.trackRequest(10_000, 500, { model: 'gpt-4o' })).toBeCloseTo(0.03, 12);
  });

  it('prices a gpt-4o request with cached tokens at the cached rate', () => {
    const { tracker } = trackerAt('2025-03-10T12:00:00Z');
    // 5,904 x $2.50/M + 4,096 x $1.25/M + 500 x $10/M = $0.01476 + $0.00512 + $0.005
    expect(tracker.trackRequest(10_000, 500, { model: 'gpt-4o', cachedTokens: 4096 })).toBeCloseTo(0.02488, 12);
  });

  it('prices a Claude Sonnet request with a cache write and a cache read', () => {
    const { tracker } = trackerAt('2025-03-10T12:00:00Z');
    // 1,000 x $3/M + 3,000 x $3.75/M + 6,000 x $0.30/M + 1,000 x $15/M = $0.003 + $0.01125 + $0.0018 + $0.015
    expect(tracker.trackRequest(10_000, 1000, { model: 'claude-sonnet-4-5', cachedTokens: 6000, cacheWriteTokens: 3000 })).toBeCloseTo(0.03105, 12);
  });

  it('prices Claude input that neither reads nor writes the cache at the plain input price', () => {
    const { tracker } = trackerAt('2025-03-10T12:00:00Z');
    expect(tracker.trackRequest(1_000_000, 0, { model: 'claude-haiku-4-5' })).toBeCloseTo(1, 12);
  });

  it('uses a user price that overrides a bundled one', () => {
    const prices = new PriceTable([{ model: 'gpt-4o', provider: 'openai', input: 5, cachedInput: 2.5, output: 20 }]);
    const { tracker } = trackerAt('2025-03-10T12:00:00Z', { prices });
    expect(tracker.trackRequest(1_000_000, 0, { model: 'gpt-4o' })).toBeCloseTo(5, 12);
  });

  it('answers an unknown model with the closest known name', () => {
    const { tracker } = trackerAt('2025-03-10T12:00:00Z');
    expect(() => tracker.trackRequest(10, 10, { model: 'gpt4o' })).toThrow(ConfigError);
    expect(() => tracker.trackRequest(10, 10, { model: 'gpt4o' })).toThrow(/no price for model "gpt4o"[\s\S]*did you mean "gpt-4o"/);
  });

  it.each([
    [-1, 0, {}, /inputTokens = number -1 must be a whole number/],
    [10, 1.5, {}, /outputTokens = number 1.5/],
    [10, 0, { cachedTokens: 8, cacheWriteTokens: 8 }, /cachedTokens \+ cacheWriteTokens = 16 exceed inputTokens = 10/],
  ])('rejects impossible token counts %#', (input, output, usage, message) => {
    const { tracker } = trackerAt('2025-03-10T12:00:00Z');
    expect(() => tracker.trackRequest(input, output, { model: 'gpt-4o', ...usage })).toThrow(InputError);
    expect(() => tracker.trackRequest(input, output, { model: 'gpt-4o', ...usage })).toThrow(message);
  });
});

describe('daily and monthly totals', () => {
  it('splits days at UTC midnight by default', () => {
    const { tracker, setNow } = trackerAt('2025-03-10T23:59:59Z');
    tracker.trackRequest(1_000_000, 0, { model: 'gpt-4o' });
    setNow('2025-03-11T00:00:00Z');
    tracker.trackRequest(2_000_000, 0, { model: 'gpt-4o' });
    expect(tracker.dailyCost('2025-03-10')).toBeCloseTo(2.5, 12);
    expect(tracker.dailyCost()).toBeCloseTo(5, 12);
    expect(tracker.dailyCost(new Date('2025-03-10T08:00:00Z'))).toBeCloseTo(2.5, 12);
  });

  it('splits days at midnight of the configured time zone', () => {
    const { tracker } = trackerAt('2025-03-10T12:00:00Z', { timeZone: 'America/New_York' });
    tracker.trackRequest(1_000_000, 0, { model: 'gpt-4o', at: '2025-03-11T03:00:00Z' });
    expect(tracker.dailyCost('2025-03-10')).toBeCloseTo(2.5, 12);
    expect(tracker.dailyCost('2025-03-11')).toBe(0);
  });

  it('totals a month across its days and not the next month', () => {
    const { tracker, setNow } = trackerAt('2025-01-31T10:00:00Z');
    tracker.trackRequest(1_000_000, 0, { model: 'gpt-4o' });
    tracker.trackRequest(1_000_000, 0, { model: 'gpt-4o', at: new Date('2025-01-02T10:00:00Z') });
    setNow('2025-02-01T00:30:00Z');
    tracker.trackRequest(1_000_000, 0, { model: 'gpt-4o-mini' });
    expect(tracker.monthlyCost('2025-01')).toBeCloseTo(5, 12);
    expect(tracker.monthlyCost()).toBeCloseTo(0.15, 12);
  });

  it('keeps token and cost totals per model', () => {
    const { tracker } = trackerAt('2025-03-10T12:00:00Z');
    tracker.trackRequest(2000, 100, { model: 'gpt-4o-mini', cachedTokens: 1024 });
    tracker.trackRequest(3000, 200, { model: 'gpt-4o-mini' });
    tracker.trackRequest(1000, 10, { model: 'claude-haiku-4-5', cacheWriteTokens: 1000 });
    const usage = tracker.usage('2025-03');
    expect(Object.keys(usage)).toEqual(['claude-haiku-4-5', 'gpt-4o-mini']);
    expect(usage['gpt-4o-mini']).toMatchObject({ requests: 2, inputTokens: 5000, cachedTokens: 1024, cacheWriteTokens: 0, outputTokens: 300 });
    expect(usage['claude-haiku-4-5']!.costUsd).toBeCloseTo((1000 * 1.25 + 10 * 5) / 1e6, 12);
  });

  it('rejects a date it cannot read', () => {
    expect(() => trackerAt('2025-03-10T12:00:00Z').tracker.dailyCost('yesterday')).toThrow(InputError);
  });
});

describe('monthly projection', () => {
  it('multiplies the observed daily average, quiet days included, by the days in the month', () => {
    const { tracker, setNow } = trackerAt('2025-04-01T09:00:00Z');
    tracker.trackRequest(1_000_000, 0, { model: 'gpt-4o' });
    setNow('2025-04-03T09:00:00Z');
    tracker.trackRequest(3_000_000, 0, { model: 'gpt-4o' });
    setNow('2025-04-04T09:00:00Z');
    const projection = tracker.projectMonth();
    expect(projection).toMatchObject({ month: '2025-04', daysInMonth: 30, observedDays: 4 });
    expect(projection.dailyAverageUsd).toBeCloseTo(2.5, 12);
    expect(projection.projectedUsd).toBeCloseTo(75, 12);
  });

  it('projects onto the length of the month asked for', () => {
    const { tracker } = trackerAt('2024-02-10T09:00:00Z');
    tracker.trackRequest(400_000, 0, { model: 'gpt-4o' });
    expect(tracker.projectMonth('2024-02')).toMatchObject({ daysInMonth: 29, observedDays: 1, projectedUsd: 29 });
  });

  it('projects nothing before any traffic', () => {
    expect(trackerAt('2025-04-01T09:00:00Z').tracker.projectMonth()).toEqual({ month: '2025-04', daysInMonth: 30, observedDays: 0, dailyAverageUsd: 0, projectedUsd: 0 });
  });
});

describe('daily limit alerts', () => {
  // $1 limit; 100,000 gpt-4o input tokens cost $0.25.
  const quarter = (tracker: CostTracker) => tracker.trackRequest(100_000, 0, { model: 'gpt-4o' });

  it('fires once at 80% and once at 100%, however many requests follow', () => {
    const { tracker, alerts } = trackerAt('2025-05-01T08:00:00Z', { dailyLimitUsd: 1 });
    for (let i = 0; i < 3; i++) quarter(tracker);
    expect(alerts).toEqual([]);
    tracker.trackRequest(20_000, 0, { model: 'gpt-4o' });
    expect(alerts).toEqual([{ kind: 'approaching', threshold: 0.8, day: '2025-05-01', limitUsd: 1, spentUsd: expect.closeTo(0.8, 9) }]);
    quarter(tracker);
    for (let i = 0; i < 5; i++) quarter(tracker);
    expect(alerts.map((alert) => [alert.kind, alert.threshold])).toEqual([
      ['approaching', 0.8],
      ['crossed', 1],
    ]);
  });

  it('fires both thresholds, in order, when one request jumps past both', () => {
    const { tracker, alerts } = trackerAt('2025-05-01T08:00:00Z', { dailyLimitUsd: 1 });
    tracker.trackRequest(1_000_000, 0, { model: 'gpt-4o' });
    expect(alerts.map((alert) => alert.threshold)).toEqual([0.8, 1]);
  });

  it('re-arms on the next day', () => {
    const { tracker, alerts, setNow } = trackerAt('2025-05-01T08:00:00Z', { dailyLimitUsd: 1 });
    for (let i = 0; i < 4; i++) quarter(tracker);
    setNow('2025-05-02T08:00:00Z');
    for (let i = 0; i < 4; i++) quarter(tracker);
    expect(alerts.map((alert) => `${alert.day} ${alert.threshold}`)).toEqual(['2025-05-01 0.8', '2025-05-01 1', '2025-05-02 0.8', '2025-05-02 1']);
  });

  it('never fires for a limit not approached', () => {
    const { tracker, alerts, setNow } = trackerAt('2025-05-01T08:00:00Z', { dailyLimitUsd: 1 });
    for (const day of ['01', '02', '03']) {
      setNow(`2025-05-${day}T08:00:00Z`);
      for (let i = 0; i < 3; i++) quarter(tracker);
    }
    expect(alerts).toEqual([]);
  });

  it('fires at configured thresholds only', () => {
    const { tracker, alerts } = trackerAt('2025-05-01T08:00:00Z', { dailyLimitUsd: 1, alertAt: [0.5] });
    for (let i = 0; i < 8; i++) quarter(tracker);
    expect(alerts.map((alert) => [alert.kind, alert.threshold])).toEqual([['approaching', 0.5]]);
  });

  it.each([
    [{ dailyLimitUsd: 0 }, /dailyLimitUsd = number 0 must be a positive number/],
    [{ dailyLimitUsd: 1, alertAt: [0.8, -1] }, /alertAt\.1 = number -1 must be a positive fraction/],
    [{ timeZone: 'Mars/Olympus' }, /timeZone = "Mars\/Olympus" is not a known time zone/],
  ])('rejects an invalid option %#', (options, message) => {
    expect(() => new CostTracker(options)).toThrow(ConfigError);
    expect(() => new CostTracker(options)).toThrow(message);
  });
});
