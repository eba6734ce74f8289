import { describe, expect, it } from 'vitest';
import { asFaithful, dominating } from '../../bench/frontier.js';
import type { Aggregate } from '../../core/index.js';

const row = (strategy: string, cost: number, facts: [number, number, number], reference = false): Aggregate =>
  ({ dataset: 'd', strategy, costPerConversation: cost, reference, metrics: { factRetention: { mean: facts[0], ci95: [facts[1], facts[2]] } } }) as unknown as Aggregate;

describe('the cost-fidelity frontier', () => {
  const production = row('production', 1, [0.99, 0.98, 1]);

  it('names a cheaper strategy whose interval reaches production\'s fidelity', () => {
    const cheap = row('token-buffer', 0.8, [0.97, 0.95, 0.995]);
    expect(dominating(production, [production, cheap]).map((a) => a.strategy)).toEqual(['token-buffer']);
  });

  it('leaves out cheaper but less faithful strategies, dearer ones and references', () => {
    const rows = [production, row('token-buffer', 0.5, [0.3, 0.2, 0.4]), row('naive', 2, [1, 1, 1]), row('oracle', 0.3, [1, 1, 1], true)];
    expect(dominating(production, rows)).toEqual([]);
  });

  it('lists the strategies at least as faithful, dearer ones included, cheapest first', () => {
    const rows = [row('naive', 2, [1, 1, 1]), production, row('summary-buffer', 1.4, [0.99, 0.97, 1]), row('token-buffer', 0.5, [0.3, 0.2, 0.4]), row('oracle', 0.3, [1, 1, 1], true)];
    expect(asFaithful(production, rows).map((a) => a.strategy)).toEqual(['summary-buffer', 'naive']);
    expect(dominating(production, rows)).toEqual([]);
  });
});
