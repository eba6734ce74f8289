import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, InputError, PriceTable, queryOf, type Episode, type Strategy, type TurnInput } from '../../../core/index.js';
import { assignmentPoint } from '../../../core/experiment/assignment.js';
import { ContextExperiment, strategyVariant, type Variant } from '../../../core/experiment/experiment.js';
import { seededRandom } from '../../../core/stats.js';
import { strategies } from '../../../strategies/index.js';
import { TokenCounter } from '../../../core/index.js';
import { syntheticEpisode } from '../../strategies/fixtures.js';

type Query = { query: string };
type Sectioned = { sections: Record<string, number> };

/** A variant whose context takes a fixed number of tokens. */
const fixed = (name: string, tokens: number): Variant<Query, Sectioned> => ({ name, assemble: () => ({ sections: { system: 100, history: tokens - 100 } }) });
const abTest = (options: Partial<ConstructorParameters<typeof ContextExperiment<Query, Sectioned>>[0]> = {}) =>
  new ContextExperiment<Query, Sectioned>({ name: 'summary-vs-window', variants: [fixed('control', 3000), fixed('treatment', 2000)], ...options });
const users = (n: number) => Array.from({ length: n }, (_, i) => `user-${i}`);

describe('sticky assignment', () => {
  it('gives a user the same variant on every call', () => {
    const experiment = abTest();
    const first = users(200).map((user) => experiment.assign(user));
    expect(users(200).map((user) => experiment.assign(user))).toEqual(first);
    expect(new Set(first)).toEqual(new Set(['control', 'treatment']));
  });

  it('gives a user the same variant in a new instance of the experiment', () => {
    expect(users(200).map((user) => abTest().assign(user))).toEqual(users(200).map((user) => abTest().assign(user)));
  });

  it('is a pure function of the user and the experiment name', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (user, name) => {
        const variants = () => [fixed('a', 1000), fixed('b', 1000), fixed('c', 1000)];
        const one = new ContextExperiment<Query, Sectioned>({ name, variants: variants() });
        const other = new ContextExperiment<Query, Sectioned>({ name, variants: variants() });
        const point = assignmentPoint(user, name);
        return one.assign(user) === other.assign(user) && point >= 0 && point < 1 && point === assignmentPoint(user, name);
      }),
    );
  });

  it.each([
    [undefined, { control: 0.5, treatment: 0.5 }],
    [{ control: 9, treatment: 1 }, { control: 0.9, treatment: 0.1 }],
    [{ control: 1, treatment: 0 }, { control: 1, treatment: 0 }],
  ])('splits 10,000 users by the weights %j within 1.5 points', (weights, expected) => {
    const experiment = abTest(weights ? { weights } : {});
    const counts = { control: 0, treatment: 0 };
    for (const user of users(10_000)) counts[experiment.assign(user) as keyof typeof counts]++;
    expect(counts.control / 10_000).toBeCloseTo(expected.control, 1);
    expect(Math.abs(counts.control / 10_000 - expected.control)).toBeLessThan(0.015);
  });

  it('assigns users of two experiments independently', () => {
    const first = abTest();
    const second = abTest({ name: 'rag-vs-naive' });
    const agree = users(10_000).filter((user) => first.assign(user) === second.assign(user)).length;
    expect(Math.abs(agree / 10_000 - 0.5)).toBeLessThan(0.015);
  });
});

describe('configuration', () => {
  it.each([
    [{ weights: { control: 1, treatmnt: 1 } }, /weights\.treatmnt names no variant[\s\S]*did you mean "treatment"/],
    [{ weights: { control: 1 } }, /weights\.treatment is missing/],
    [{ weights: { control: 1, treatment: -2 } }, /weights\.treatment = number -2 must be a number, zero or more/],
    [{ weights: { control: 0, treatment: 0 } }, /weights are all zero/],
    [{ variants: [fixed('control', 1000)] }, /variants has 1 entries; an experiment needs at least 2/],
    [{ variants: [fixed('a', 1000), fixed('a', 2000)] }, /variant "a" is listed twice/],
    [{ name: '' }, /name = string "" must be a non-empty string/],
    [{ resamples: 10 }, /resamples = number 10 must be a whole number of at least 100/],
    [{ seed: Number.NaN }, /seed = NaN must be a whole number, 0 or more/],
    [{ seed: 1.5 }, /seed = 1.5 must be a whole number, 0 or more/],
    [{ model: 'gpt-4x' }, /no price for model "gpt-4x"/],
  ])('rejects invalid options with the key, the value and the fix %#', (options, message) => {
    expect(() => abTest(options)).toThrow(ConfigError);
    expect(() => abTest(options)).toThrow(message);
  });
});

describe('run', () => {
  it("assembles the user's variant and measures tokens, cost and latency", async () => {
    let clock = 0;
    const experiment = abTest({ now: () => (clock += 7.5), model: 'gpt-4o-mini' });
    const user = users(50).find((id) => experiment.assign(id) === 'treatment')!;
    const result = await experiment.run(user, { query: 'Where is my order?' });
    // 2,000 tokens x $0.15 per 1M
    expect(result).toEqual({ variant: 'treatment', context: { sections: { system: 100, history: 1900 } }, metrics: { tokens: 2000, costUsd: 0.0003, latencyMs: 7.5 } });
  });

  it('measures tokens with a given counter when contexts carry no sections', async () => {
    const prices = new PriceTable([{ model: 'flat', provider: 'openai', input: 1, cachedInput: 1, output: 1 }]);
    const variants: Array<Variant<string, string[]>> = [
      { name: 'short', assemble: (query) => [query] },
      { name: 'long', assemble: (query) => [query, query] },
    ];
    const experiment = new ContextExperiment<string, string[]>({ name: 'lengths', variants, tokensOf: (context) => context.join(' ').length, model: 'flat', prices });
    const result = await experiment.run('alice', 'abc');
    expect(result.metrics.tokens).toBe(result.variant === 'short' ? 3 : 7);
  });

  it('runs strategies as variants, one session per episode', async () => {
    let sessions = 0;
    const echo: Strategy = { budget: null, startEpisode: () => (sessions++, { assemble: (input) => ({ messages: [], sections: { query: input.query.length } }) }) };
    const experiment = new ContextExperiment({ name: 'echo', variants: [strategyVariant('a', echo), strategyVariant('b', echo)] });
    const episode = syntheticEpisode('alice', 'AAA111', 3);
    for (const [turnIndex, turn] of episode.turns.entries()) await experiment.run('alice', turnInput(episode, turnIndex, turn));
    expect(sessions).toBe(1);
  });

  it('compares real strategies through the experiment', async () => {
    const env = { counter: new TokenCounter({ model: 'gpt-4o' }), model: 'gpt-4o' };
    const variants = ['naive', 'sliding-window'].map((name) => strategyVariant(name, strategies.get(name).create(strategies.get(name).defaults, env)));
    const experiment = new ContextExperiment({ name: 'naive-vs-window', variants, seed: 7 });
    for (const user of users(40)) {
      const episode = syntheticEpisode(user, user.toUpperCase(), 20);
      const turnIndex = episode.turns.length - 1;
      await experiment.run(user, turnInput(episode, turnIndex, episode.turns[turnIndex]!));
    }
    const tokens = experiment.summary().comparisons.find((c) => c.metric === 'tokens')!;
    expect(tokens).toMatchObject({ control: 'naive', variant: 'sliding-window', excludesZero: true });
    expect(tokens.difference).toBeLessThan(0);
  });
});

describe('record', () => {
  it('refuses an unknown variant with the closest name', () => {
    expect(() => abTest().record('treatmnt', 'factRetention', 1)).toThrow(/variant "treatmnt" is not in experiment "summary-vs-window"[\s\S]*did you mean "treatment"/);
  });

  it("refuses a user's observation under a variant the user is not assigned to", () => {
    const experiment = abTest();
    const user = users(50).find((id) => experiment.assign(id) === 'control')!;
    expect(() => experiment.record('treatment', 'factRetention', 1, user)).toThrow(InputError);
    expect(() => experiment.record('treatment', 'factRetention', 1, user)).toThrow(/is assigned to "control", not "treatment"/);
  });

  it('refuses a value that is not a finite number', () => {
    expect(() => abTest().record('control', 'factRetention', Number.NaN)).toThrow(/factRetention = NaN must be a finite number/);
  });

  it("averages a user's observations into one unit", () => {
    const experiment = abTest();
    const user = users(50).find((id) => experiment.assign(id) === 'control')!;
    for (const value of [0, 0, 0, 1]) experiment.record('control', 'factRetention', value, user);
    experiment.record('control', 'factRetention', 1);
    const control = experiment.summary().variants[0]!;
    expect(control.metrics['factRetention']).toMatchObject({ mean: 0.625, n: 2 });
    expect(control.users).toBe(2);
  });
});

describe('summary', () => {
  /** `count` users with three probe scores ~ N(0.6, 0.2) each, plus `effect` under the treatment. */
  function synthetic(effect: number, options: { seed?: number; reverse?: boolean; count?: number; dataSeed?: number } = {}) {
    const experiment = abTest({ seed: options.seed ?? 1, resamples: options.count ? 500 : 2000 });
    const random = seededRandom(options.dataSeed ?? 42);
    const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const byUser = users(options.count ?? 2000).map((user) => [0, 1, 2].map(() => ({ user, score: 0.6 + 0.2 * normal() })));
    if (options.reverse) byUser.reverse();
    for (const { user, score } of byUser.flat()) {
      const variant = experiment.assign(user);
      experiment.record(variant, 'factRetention', score + (variant === 'treatment' ? effect : 0), user);
    }
    return experiment.summary().comparisons[0]!;
  }

  it('covers the true difference in about 95% of 100 repeated experiments', () => {
    const covered = Array.from({ length: 100 }, (_, dataSeed) => synthetic(0.03, { count: 200, dataSeed })).filter(({ ci95 }) => ci95[0] < 0.03 && ci95[1] > 0.03);
    expect(covered.length).toBeGreaterThanOrEqual(88);
    expect(covered.length).toBeLessThanOrEqual(99);
  });

  it.each([0.01, 0.02, 0.05])('covers a true difference of %d with its 95% interval', (effect) => {
    const { ci95, difference } = synthetic(effect);
    expect(ci95[0]).toBeLessThan(effect);
    expect(ci95[1]).toBeGreaterThan(effect);
    expect(difference).toBeCloseTo(effect, 1);
  });

  it('excludes zero when the effect is large', () => {
    expect(synthetic(0.1)).toMatchObject({ metric: 'factRetention', control: 'control', variant: 'treatment', excludesZero: true, n: [expect.any(Number), expect.any(Number)] });
  });

  it('covers zero when there is no effect', () => {
    expect(synthetic(0).excludesZero).toBe(false);
  });

  it('is reproducible for a seed and independent of the order users come in', () => {
    expect(synthetic(0.05, { seed: 3 })).toEqual(synthetic(0.05, { seed: 3, reverse: true }));
  });

  it('reports per-variant means of the measured metrics, with the method and seed', async () => {
    const experiment = abTest({ now: () => 0 });
    for (const user of users(30)) await experiment.run(user, { query: 'hi' });
    const summary = experiment.summary();
    expect(summary).toMatchObject({ experiment: 'summary-vs-window', method: 'percentile bootstrap over users', seed: 1, resamples: 2000 });
    expect(summary.variants.map((v) => [v.name, v.metrics['tokens']!.mean, v.metrics['tokens']!.ci95])).toEqual([
      ['control', 3000, [3000, 3000]],
      ['treatment', 2000, [2000, 2000]],
    ]);
    expect(summary.comparisons.map((c) => [c.metric, c.difference])).toEqual([
      ['costUsd', expect.closeTo(-0.0025, 12)],
      ['latencyMs', 0],
      ['tokens', -1000],
    ]);
  });
});

function turnInput(episode: Episode, turnIndex: number, turn: Episode['turns'][number]): TurnInput {
  const history = episode.messages.slice(0, turn.at);
  return { episode, turn, turnIndex, history, query: queryOf(history, turn) };
}
