import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../core/index.js';
import { summaryCsv, turnsCsv } from '../../reports/csv.js';
import { replaySynthetic } from '../bench/results.js';

const rows = (csv: string) => parse(csv, { columns: true }) as Array<Record<string, string>>;
const header = (csv: string) => csv.slice(0, csv.indexOf('\n')).split(',');

let result: RunResult;
beforeAll(async () => {
  result = await replaySynthetic();
});

describe('summaryCsv', () => {
  it('has the fixed columns, then mean and CI bounds for each probe metric present', () => {
    expect(header(summaryCsv(result))).toEqual([
      'dataset', 'strategy', 'episodes', 'turns', 'budget',
      'inputTokens.mean', 'inputTokens.p50', 'inputTokens.p95', 'cachedShare', 'costPerCall', 'costPerConversation',
      'latencyMs.p50', 'latencyMs.p95', 'budgetViolations',
      'factRetention.mean', 'factRetention.ciLow', 'factRetention.ciHigh',
      'customerFactRetention.mean', 'customerFactRetention.ciLow', 'customerFactRetention.ciHigh',
      'datasetEpisodes', 'datasetTurns', 'interrupted',
    ]);
  });

  it('writes one row per dataset x strategy with the numbers of the result', () => {
    const parsed = rows(summaryCsv(result));
    expect(parsed.map((row) => [row.dataset, row.strategy])).toEqual(result.aggregates.map((a) => [a.dataset, a.strategy]));
    expect(parsed.map((row) => Number(row.costPerConversation))).toEqual(result.aggregates.map((a) => a.costPerConversation));
    expect(parsed.map((row) => Number(row['factRetention.ciLow']))).toEqual(result.aggregates.map((a) => a.metrics.factRetention!.ci95[0]));
  });

  it('leaves the budget empty for a strategy without one', () => {
    expect(rows(summaryCsv(result)).find((row) => row.strategy === 'naive')!.budget).toBe('');
  });
});

describe('turnsCsv', () => {
  it('writes one row per replayed turn', () => {
    expect(rows(turnsCsv(result))).toHaveLength(result.turns!.length);
  });

  it('flattens the union of section names into sorted section columns', () => {
    const names = [...new Set(result.turns!.flatMap((t) => Object.keys(t.sections)))].sort();
    expect(header(turnsCsv(result)).filter((column) => column.startsWith('section:'))).toEqual(names.map((name) => `section:${name}`));
  });

  it('leaves a section cell empty where the strategy has no such section', () => {
    const naive = rows(turnsCsv(result)).find((row) => row.strategy === 'naive')!;
    expect(naive['section:recent_messages']).toBe('');
    expect(Number(naive['section:system'])).toBe(result.turns![0]!.sections.system);
  });

  it('writes scores into score columns, empty on turns without the probe', () => {
    const parsed = rows(turnsCsv(result));
    expect(parsed.map((row) => row['score:factRetention'])).toEqual(result.turns!.map((t) => (t.scores.factRetention === undefined ? '' : String(t.scores.factRetention))));
  });

  it('writes overBudget as true or false', () => {
    expect(new Set(rows(turnsCsv(result)).map((row) => row.overBudget))).toEqual(new Set(['false']));
  });

  it('quotes ids with commas and quotes so they parse back unchanged', () => {
    const odd = { ...result, turns: result.turns!.map((t) => ({ ...t, episode: 'say "hi", then\nleave' })) };
    expect(rows(turnsCsv(odd))[0]!.episode).toBe('say "hi", then\nleave');
  });

  it('refuses a result without per-turn rows and says how to keep them', () => {
    expect(() => turnsCsv({ ...result, turns: undefined })).toThrow(/no per-turn rows[\s\S]*without --no-turns/);
  });
});

describe('CSV injection', () => {
  it("prefixes a cell that a spreadsheet would run as a formula with ', keeping negative numbers as numbers", () => {
    const hostile = ["=cmd|' /C calc'!A0", '+1,"x"', '@SUM(A1)', '\tTAB', '-2+3'];
    const turns = result.turns!.slice(0, hostile.length).map((row, i) => ({ ...row, episode: hostile[i]!, costUsd: -0.5 }));
    const parsed = rows(turnsCsv({ ...result, turns }));
    expect(parsed.map((row) => row.episode)).toEqual(hostile.map((value) => `'${value}`));
    expect(parsed.every((row) => row.costUsd === '-0.5')).toBe(true);
  });
});
