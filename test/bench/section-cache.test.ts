import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TurnRow } from '../../core/index.js';
import { aggregate, cachedBySection } from '../../bench/runner/aggregate.js';

const row = (sections: Record<string, number>, inputTokens: number, cachedTokens: number, episode = 'e1'): TurnRow => ({
  dataset: 'd',
  strategy: 's',
  episode,
  turn: 0,
  inputTokens,
  cachedTokens,
  outputTokens: 10,
  costUsd: 0.001,
  latencyMs: 1,
  budget: null,
  overBudget: false,
  sections,
  scores: {},
});

describe('cached share per section', () => {
  it('lays the cached prefix over the sections in the order they are listed', () => {
    const cached = cachedBySection(row({ tools: 1000, system: 500, history: 400, query: 100 }, 2000, 1700));
    expect(Object.fromEntries(cached)).toEqual({ tools: 1000, system: 500, history: 200, query: 0 });
  });

  it('stretches the sections over the whole prompt when the framing tokens are not in any section', () => {
    // 200 framing tokens: each section spans 1.1 times its tokens; the prefix ends in the middle of "b".
    const cached = cachedBySection(row({ a: 1000, b: 1000 }, 2200, 1650));
    expect(cached.get('a')).toBe(1000);
    expect(cached.get('b')).toBeCloseTo(500, 9);
  });

  it('reports per section the share of its tokens served from the cache over all calls', () => {
    const result = aggregate(
      [row({ tools: 1000, summary: 500, history: 500 }, 2000, 2000), row({ tools: 1000, summary: 500, history: 500 }, 2000, 1000, 'e2'), row({ tools: 1000, history: 0 }, 1000, 0, 'e3')],
      1,
    );
    expect(result.sectionCachedShare).toEqual({ tools: 0.666667, summary: 0.5, history: 0.5 });
  });

  it('lists the sections in request order, a section first seen later placed after the one before it in its call', () => {
    const result = aggregate([row({ system: 100, query: 10 }, 110, 100), row({ system: 100, history: 50, query: 10 }, 160, 150, 'e2')], 1);
    expect(Object.keys(result.sectionCachedShare!)).toEqual(['system', 'history', 'query']);
  });

  it('attributes exactly the cached tokens (up to the framing share), never more than a section holds (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 2000 }), { minLength: 1, maxLength: 8 }), fc.nat({ max: 300 }), fc.double({ min: 0, max: 1, noNaN: true }), (tokens, framing, share) => {
        const sections = Object.fromEntries(tokens.map((t, i) => [`s${i}`, t]));
        const total = tokens.reduce((a, b) => a + b, 0);
        const inputTokens = total + framing;
        const cachedTokens = Math.floor(inputTokens * share);
        const cached = cachedBySection(row(sections, inputTokens, cachedTokens));
        let sum = 0;
        for (const [name, value] of cached) {
          expect(value).toBeGreaterThanOrEqual(0);
          expect(value).toBeLessThanOrEqual(sections[name]! + 1e-9);
          sum += value;
        }
        if (total > 0) expect(sum).toBeCloseTo((cachedTokens * total) / inputTokens, 6);
      }),
    );
  });
});

describe('the aggregate budget', () => {
  it('is the largest budget any conversation kept, and null when none declared one', () => {
    const withBudget = (budget: number | null, episode: string): TurnRow => ({ ...row({ a: 10 }, 10, 0, episode), budget });
    expect(aggregate([withBudget(1800, 'e1'), withBudget(3000, 'e2'), withBudget(null, 'e3')], 1).budget).toBe(3000);
    expect(aggregate([withBudget(null, 'e1'), withBudget(null, 'e2')], 1).budget).toBeNull();
  });
});
