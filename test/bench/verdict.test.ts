import { describe, expect, it } from 'vitest';
import { TECHCORP_SCENARIO, type TurnRow } from '../../core/index.js';
import { aggregate, groupRows } from '../../bench/runner/aggregate.js';
import { missionChecks, scoresFromRows } from '../../bench/runner/verdict.js';

/** One row per episode and strategy, with a cost and the given scores. */
function rows(strategy: string, episodes: number, cost: number, scores: (episode: number) => TurnRow['scores'], extra: Partial<TurnRow> = {}): TurnRow[] {
  return Array.from({ length: episodes }, (_, i) => ({
    dataset: 'd',
    strategy,
    episode: `e${String(i).padStart(3, '0')}`,
    turn: 0,
    inputTokens: 1000,
    cachedTokens: 0,
    outputTokens: 10,
    costUsd: cost,
    outputCostUsd: 0.0001,
    latencyMs: 1,
    budget: null,
    overBudget: false,
    sections: {},
    scores: scores(i),
    ...extra,
  }));
}

function check(all: TurnRow[]) {
  const aggregates = groupRows(all).map((group) => aggregate(group, 1, group[0]!.strategy === 'oracle'));
  return missionChecks(aggregates, scoresFromRows(all), TECHCORP_SCENARIO, 1)[0]!;
}

describe('the mission verdict', () => {
  it('gives no cost verdict on a dataset without a fidelity metric, however cheap production is', () => {
    const m = check([...rows('naive', 40, 1, () => ({ routingAccuracy: 1 })), ...rows('production', 40, 0.01, () => ({ routingAccuracy: 1 }))]);
    expect(m.verdict).toBe('no cost verdict');
    expect(m.pass).toBe(false);
  });

  it('says insufficient data below 20 episodes instead of passing or failing', () => {
    const m = check([...rows('naive', 3, 1, () => ({ factRetention: 1 })), ...rows('production', 3, 0.01, () => ({ factRetention: 1 }))]);
    expect(m.verdict).toBe('insufficient data');
    expect(m.reason).toMatch(/3 episodes/);
  });

  it('gives no cost verdict when naive costs nothing (zero prices), never a met target', () => {
    const m = check([...rows('naive', 40, 0, () => ({ factRetention: 1 })), ...rows('production', 40, 0, () => ({ factRetention: 1 }))]);
    expect(m.verdict).toBe('no cost verdict');
    expect(m.reason).toMatch(/naive costs nothing/);
  });

  it('says insufficient data when naive and production replayed different episodes (an interrupted run)', () => {
    const m = check([...rows('naive', 40, 1, () => ({ factRetention: 1 })), ...rows('production', 25, 0.05, () => ({ factRetention: 1 }))]);
    expect(m.verdict).toBe('insufficient data');
    expect(m.reason).toMatch(/naive replayed 40 episodes and production 25/);
  });

  it('fails a cost ratio just over the target that rounds to it (0.10004 > 0.1)', () => {
    const m = check([...rows('naive', 40, 1, () => ({ factRetention: 1 })), ...rows('production', 40, 0.10004, () => ({ factRetention: 1 }))]);
    expect(m.costRatio).toBe(0.1);
    expect(m.verdict).toBe('fail');
  });

  it('passes a cheap production whose paired interval stays within the tolerance', () => {
    const m = check([...rows('naive', 40, 1, () => ({ factRetention: 1 })), ...rows('production', 40, 0.05, (i) => ({ factRetention: i === 0 ? 0.5 : 1 }))]);
    expect(m.fidelity[0]!.ci95[0]).toBeGreaterThanOrEqual(-0.05);
    expect(m.verdict).toBe('pass');
  });

  it('fails a production whose mean is within the tolerance but whose interval is not', () => {
    // Mean loss 4 points, but spread over few episodes: the lower bound falls below -5 points.
    const m = check([...rows('naive', 25, 1, () => ({ factRetention: 1 })), ...rows('production', 25, 0.05, (i) => ({ factRetention: i === 0 ? 0 : 1 }))]);
    expect(m.fidelity[0]!.delta).toBeGreaterThan(-0.05);
    expect(m.fidelity[0]!.ok).toBe(false);
    expect(m.verdict).toBe('fail');
  });

  it('says a production whose calls exceed the context window cannot be sent', () => {
    const m = check([...rows('naive', 40, 1, () => ({ factRetention: 1 })), ...rows('production', 40, 0.05, () => ({ factRetention: 1 }), { overWindow: true })]);
    expect(m.verdict).toBe('cannot be sent');
  });

  it('shows the floor (output share of naive) and the oracle ratio beside the target', () => {
    const m = check([...rows('naive', 40, 1, () => ({ factRetention: 1 })), ...rows('production', 40, 0.05, () => ({ factRetention: 1 })), ...rows('oracle', 40, 0.02, () => ({ factRetention: 1 }))]);
    expect(m.floor).toBeCloseTo(0.0001, 6);
    expect(m.oracleRatio).toBe(0.02);
  });
});
