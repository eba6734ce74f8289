import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineDataset, defineStrategy, Registry, type DatasetLoader, type Episode, type StrategyPlugin, type TurnRow } from '../../core/index.js';
import { openAiJsonl } from '../../datasets/openai-jsonl.js';
import { datasets as bundledDatasets } from '../../datasets/index.js';
import { runBenchmark } from '../../bench/runner/run.js';
import { retrievalScores } from '../../bench/runner/probes.js';
import { bootstrapMean, percentile } from '../../core/stats.js';
import { syntheticEpisode, withTools } from '../strategies/fixtures.js';
import { strategies } from '../../strategies/index.js';
import { testStrategies } from './results.js';

const synthetic = (episodes: Episode[]) =>
  defineDataset({ name: 'synthetic', description: 'test episodes', options: z.object({}).strict(), load: async () => ({ name: 'synthetic', episodes, skipped: [] }) });

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const registries = (episodes: Episode[]) => ({ datasets: new Registry<DatasetLoader<any>>('dataset').register(synthetic(episodes)), strategies: testStrategies });
const episodes = [syntheticEpisode('alice', 'AAA111'), syntheticEpisode('bob', 'BBB222', 20), syntheticEpisode('carol', 'CCC333', 6)];
const run = (extra: Partial<Parameters<typeof runBenchmark>[0]> = {}) =>
  runBenchmark({
    datasets: [{ name: 'synthetic' }],
    strategies: [{ name: 'naive' }, { name: 'token-buffer' }, { name: 'production' }],
    registries: registries(episodes),
    strategyModule: new URL('../support/test-strategies.ts', import.meta.url).href,
    ...extra,
  });

const withoutTimings = (result: Awaited<ReturnType<typeof run>>) =>
  JSON.stringify({ ...result, timing: null, aggregates: result.aggregates.map((a) => ({ ...a, latencyMs: null })), turns: result.turns?.map((t) => ({ ...t, latencyMs: null })) });

describe('replay runner', () => {
  it('replays with the tool definitions frozen: a strategy that edits one fails loudly', async () => {
    const editing = defineStrategy({
      name: 'editing',
      description: 'edits the first tool definition it is given',
      options: z.object({}).strict(),
      create: () => ({
        budget: null,
        startEpisode: (episode) => ({
          assemble: () => {
            episode.tools![0]!.function.description = 'edited';
            return { messages: [], sections: {} };
          },
        }),
      }),
    });
    const tooled = [withTools(syntheticEpisode('alice', 'AAA111'), 3)];
    const strategiesWithEditing = new Registry<StrategyPlugin<any>>('strategy').register(editing); // eslint-disable-line @typescript-eslint/no-explicit-any
    await expect(runBenchmark({ datasets: [{ name: 'synthetic' }], strategies: [{ name: 'editing' }], registries: { ...registries(tooled), strategies: strategiesWithEditing } })).rejects.toThrow(TypeError);
    expect(Object.isFrozen(tooled[0]!.tools![0]!.function)).toBe(true);
  });

  it('replays every turn of every episode through every strategy', async () => {
    const result = await run();
    const turns = episodes.reduce((sum, e) => sum + e.turns.length, 0);
    expect(result.turns).toHaveLength(turns * 3);
    expect(result.aggregates.map((a) => [a.strategy, a.turns, a.episodes])).toEqual([
      ['naive', turns, 3],
      ['token-buffer', turns, 3],
      ['production', turns, 3],
    ]);
    expect(result.datasets).toEqual([{ name: 'synthetic', episodes: 3, turns, skipped: [], notes: [], inputs: [] }]);
  });

  it('gives byte-identical results apart from timings', async () => {
    expect(withoutTimings(await run({ concurrency: 1 }))).toBe(withoutTimings(await run({ concurrency: 3 })));
  });

  it('gives byte-identical results in worker threads when episodes share a knowledge base and an intent profile', async () => {
    const abcd = (concurrency: number) =>
      runBenchmark({ datasets: [{ name: 'abcd', options: { limit: 3 } }], strategies: [{ name: 'production' }], registries: { datasets: bundledDatasets, strategies }, concurrency });
    const serial = await abcd(1);
    expect(serial.aggregates.find((a) => a.strategy === 'production')!.metrics.routingAccuracy).toBeDefined();
    expect(withoutTimings(await abcd(2))).toBe(withoutTimings(serial));
  });

  it('keeps whole episodes when aborted in worker threads', async () => {
    const controller = new AbortController();
    const result = await run({ concurrency: 2, signal: controller.signal, onProgress: () => controller.abort() });
    expect(result.interrupted).toBe(true);
    const whole = await run();
    const turnsOf = (r: typeof result, id: string) => r.turns!.filter((t) => t.episode === id && t.strategy === 'naive').length;
    const replayed = [...new Set(result.turns!.map((t) => t.episode))];
    expect(result.turns!.length).toBeLessThan(whole.turns!.length);
    for (const id of replayed) expect(turnsOf(result, id)).toBe(turnsOf(whole, id));
  });

  it('refuses a concurrency it cannot run, naming the range', async () => {
    await expect(run({ concurrency: 0 })).rejects.toThrow(/concurrency 0 is out of range[\s\S]*from 1 to 64/);
    await expect(run({ concurrency: 1e9 })).rejects.toThrow(/concurrency 1000000000 is out of range/);
  });

  it('refuses to replay a strategy registry in worker threads without the module that exports it', async () => {
    const own = new Registry<StrategyPlugin<any>>('strategy').register(strategies.get('naive')); // eslint-disable-line @typescript-eslint/no-explicit-any
    await expect(run({ strategies: [{ name: 'naive' }], registries: { datasets: registries(episodes).datasets, strategies: own }, concurrency: 2, strategyModule: undefined })).rejects.toThrow(/strategyModule/);
  });

  it('bills the prefix shared with the previous turn at the cached price, in 128-token steps from 1,024', async () => {
    const result = await run();
    const naive = result.turns!.filter((t) => t.strategy === 'naive' && t.episode === 'synthetic/bob');
    expect(naive[0]!.cachedTokens).toBe(0);
    const later = naive.filter((t) => t.cachedTokens > 0);
    expect(later.length).toBeGreaterThan(0);
    for (const turn of later) {
      expect(turn.cachedTokens).toBeGreaterThanOrEqual(1024);
      expect((turn.cachedTokens - 1024) % 128).toBe(0);
      expect(turn.cachedTokens).toBeLessThanOrEqual(turn.inputTokens);
      const expected = ((turn.inputTokens - turn.cachedTokens) * 2.5 + turn.cachedTokens * 1.25 + turn.outputTokens * 10) / 1e6;
      expect(turn.costUsd).toBeCloseTo(expected, 9);
    }
  });

  it('flags turns over the declared budget', async () => {
    const result = await run({ strategies: [{ name: 'over-budget', options: { budget: 20 } }] });
    expect(result.aggregates[0]!.budgetViolations).toBeGreaterThan(0);
    expect(result.turns!.every((t) => t.overBudget === t.inputTokens > 20)).toBe(true);
  });

  it('scores fact retention and checks the mission per dataset', async () => {
    const result = await run();
    expect(result.aggregates[0]!.metrics.factRetention!.mean).toBe(1);
    const [mission] = result.mission;
    expect(mission!.dataset).toBe('synthetic');
    expect(mission!.costRatio).toBeCloseTo(mission!.productionMonthlyUsd / mission!.naiveMonthlyUsd, 3);
    expect(mission!.pass).toBe(mission!.costRatio <= 0.1 && mission!.fidelity.every((f) => f.ok));
  });

  it('replays only its shard of the episodes', async () => {
    const result = await run({ shard: { index: 2, count: 3 } });
    expect(new Set(result.turns!.map((t) => t.episode))).toEqual(new Set(['synthetic/bob']));
    await expect(run({ shard: { index: 4, count: 3 } })).rejects.toThrow(/invalid shard 4\/3/);
  });

  it('stops starting episodes when aborted and keeps what finished', async () => {
    const controller = new AbortController();
    const result = await run({ concurrency: 1, signal: controller.signal, onProgress: () => controller.abort() });
    expect(result.interrupted).toBe(true);
    expect(new Set(result.turns!.map((t) => t.episode)).size).toBe(1);
  });

  it('hands every turn row to onTurns in the order of the result and keeps none', async () => {
    const handed: TurnRow[] = [];
    const streamed = await run({ onTurns: (rows) => handed.push(...rows) });
    const kept = await run();
    expect(streamed.turns).toBeUndefined();
    const { interrupted, ...rest } = streamed;
    expect(withoutTimings({ ...rest, turns: handed, interrupted })).toBe(withoutTimings(kept));
  });

  it('replays a streamed chat log pass by pass as it replays the loaded log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctxbench-stream-'));
    const example = readFileSync(openAiJsonl.defaults().file, 'utf8').trim().split('\n');
    const file = join(dir, 'logs.jsonl');
    writeFileSync(file, `${Array.from({ length: 12 }, (_, i) => example[i % example.length]!.replace(/"metadata": \{"id": "([^"]+)"/, `"metadata": {"id": "$1-${i}"`)).join('\n')}\n`);
    const loadedOnly = { ...openAiJsonl, stream: undefined };
    const replay = (loader: DatasetLoader<any>, concurrency: number) => // eslint-disable-line @typescript-eslint/no-explicit-any
      runBenchmark({ datasets: [{ name: 'openai-jsonl', options: { file } }], strategies: [{ name: 'naive' }, { name: 'rag' }], registries: { datasets: new Registry<DatasetLoader<any>>('dataset').register(loader), strategies }, concurrency, shard: { index: 1, count: 2 } }); // eslint-disable-line @typescript-eslint/no-explicit-any
    const loaded = await replay(loadedOnly, 1);
    expect(loaded.datasets[0]!.episodes).toBe(6);
    expect(withoutTimings(await replay(openAiJsonl, 1))).toBe(withoutTimings(loaded));
    expect(withoutTimings(await replay(openAiJsonl, 2))).toBe(withoutTimings(loaded));
  });

  it('drops per-turn rows when asked', async () => {
    expect((await run({ perTurn: false })).turns).toBeUndefined();
  });

  it('names an unknown strategy with a suggestion', async () => {
    await expect(run({ strategies: [{ name: 'navie' }] })).rejects.toThrow(/unknown strategy "navie"[\s\S]*did you mean "naive"/);
  });
});

describe('metrics', () => {
  const everywhere = () => true;
  it('computes document recall, recall@5 and @10, MRR@10 and nDCG@10', () => {
    expect(retrievalScores(['x', 'a', 'b'], { a: 1, c: 1 }, everywhere)).toEqual({
      documentRecall: 1,
      recallAt5: 0.5,
      recallAt10: 0.5,
      mrrAt10: 0.5,
      ndcgAt10: expect.closeTo((1 / Math.log2(3)) / (1 + 1 / Math.log2(3)), 6),
    });
    expect(retrievalScores([], { a: 2 }, () => false)).toEqual({ documentRecall: 0, recallAt5: 0, recallAt10: 0, mrrAt10: 0, ndcgAt10: 0 });
  });

  it('counts a ranked document only if its text is in the context', () => {
    expect(retrievalScores(['a', 'c'], { a: 1, c: 1 }, (id) => id === 'c')).toMatchObject({ documentRecall: 0.5, recallAt10: 0.5, mrrAt10: 0.5 });
  });

  it('gives no rank metrics to a strategy that exposes no ranking', () => {
    expect(retrievalScores(undefined, { a: 1 }, everywhere)).toEqual({ documentRecall: 1 });
  });

  it('bootstraps a reproducible confidence interval around the mean', () => {
    const values = [0, 1, 1, 0, 1, 1, 1, 0, 1, 1];
    const estimate = bootstrapMean(values, 7);
    expect(estimate).toEqual(bootstrapMean(values, 7));
    expect(estimate.mean).toBe(0.7);
    expect(estimate.ci95[0]).toBeLessThan(0.7);
    expect(estimate.ci95[1]).toBeGreaterThan(0.7);
  });

  it('interpolates percentiles', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([], 95)).toBe(0);
  });
});

describe('merging shards', () => {
  it('gives the aggregates of the unsharded run', async () => {
    const { mergeResults } = await import('../../bench/runner/merge.js');
    const whole = await run();
    const shards = await Promise.all([1, 2, 3].map((index) => run({ shard: { index, count: 3 } })));
    const merged = mergeResults(shards);
    const strip = (r: typeof whole) => r.aggregates.map((a) => ({ ...a, latencyMs: null }));
    expect(strip(merged)).toEqual(strip(whole));
    expect(merged.mission).toEqual(whole.mission);
    expect(merged.config.shard).toBeNull();
  });

  it('refuses shards of different configurations, repeated shards and shards without turn rows', async () => {
    const { mergeResults } = await import('../../bench/runner/merge.js');
    const a = await run({ shard: { index: 1, count: 2 } });
    const b = await run({ shard: { index: 2, count: 2 }, seed: 9 });
    expect(() => mergeResults([a, b])).toThrow(/result 2 differs from result 1 in config.seed: 1 vs 9/);
    expect(() => mergeResults([a, a])).toThrow(/shard 1\/2 is given twice/);
    expect(() => mergeResults([{ ...a, turns: undefined }])).toThrow(/no per-turn rows/);
    expect(() => mergeResults([])).toThrow(/nothing to merge/);
  });
});
