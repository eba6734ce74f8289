import { z } from 'zod';
import { beforeAll, describe, expect, it } from 'vitest';
import { defineDataset, Registry, type DatasetLoader, type RunResult } from '../../core/index.js';
import { mergeResults } from '../../bench/runner/merge.js';
import { runBenchmark } from '../../bench/runner/run.js';
import { strategies } from '../../strategies/index.js';
import { syntheticEpisode } from '../strategies/fixtures.js';

const episodes = ['alice', 'bob', 'carol', 'dave'].map((user, i) => syntheticEpisode(user, `${user.toUpperCase()}${i}`, 4 + i));
const synthetic = defineDataset({
  name: 'synthetic',
  description: 'test episodes',
  options: z.object({ limit: z.number().int().min(0).optional(), variant: z.string().default('a') }).strict(),
  load: async ({ limit }) => ({ name: 'synthetic', episodes: episodes.slice(0, limit ?? episodes.length), skipped: [] }),
});
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const datasets = new Registry<DatasetLoader<any>>('dataset').register(synthetic);
const run = (shard: { index: number; count: number } | undefined, options: Record<string, unknown> = {}): Promise<RunResult> =>
  runBenchmark({ datasets: [{ name: 'synthetic', options }], strategies: [{ name: 'naive' }, { name: 'token-buffer' }], registries: { datasets, strategies }, shard });

let run1of2: RunResult;
let run2of2: RunResult;
let withLimit: RunResult;

beforeAll(async () => {
  [run1of2, run2of2, withLimit] = await Promise.all([run({ index: 1, count: 2 }), run({ index: 2, count: 2 }), run({ index: 2, count: 2 }, { limit: 3 })]);
});

describe('merging shards refuses what is not exactly the shards of one configuration', () => {
  it('refuses shards run with different limits, naming the option', () => {
    expect(() => mergeResults([run1of2, withLimit])).toThrow(/result 2 differs from result 1 in config.datasetOptions.synthetic.limit: absent vs 3/);
  });

  it("refuses shards whose strategies ran with different tuned settings (a re-tune between them), naming the setting", () => {
    expect(run2of2.config.strategySettings?.['token-buffer']?.synthetic).toEqual({ maxTokens: 3000 });
    const retuned: RunResult = structuredClone(run2of2);
    retuned.config.strategySettings!['token-buffer']!.synthetic = { maxTokens: 4000 };
    expect(() => mergeResults([run1of2, retuned])).toThrow(/config.strategySettings.token-buffer.synthetic.maxTokens: 3000 vs 4000/);
    expect(mergeResults([run1of2, run2of2]).config.strategySettings).toEqual(run1of2.config.strategySettings);
  });

  it('refuses shards run with different dataset options', async () => {
    const other = await run({ index: 2, count: 2 }, { variant: 'b' });
    expect(() => mergeResults([run1of2, other])).toThrow(/config.datasetOptions.synthetic.variant: "a" vs "b"/);
  });

  it('refuses shards of different shard counts', async () => {
    const third = await run({ index: 2, count: 3 });
    expect(() => mergeResults([run1of2, third])).toThrow(/shardCount: 2 vs 3/);
  });

  it('refuses a full run merged with one of its shards', async () => {
    const whole = await run(undefined);
    expect(() => mergeResults([run1of2, whole], ['a.json', 'whole.json'])).toThrow(/whole.json is not a shard: it ran without --shard/);
  });

  it('refuses an incomplete set of shards, naming the missing ones', () => {
    expect(() => mergeResults([run1of2])).toThrow(/shard 2\/2 missing/);
  });

  it('merges every shard of one configuration, each once', async () => {
    const merged = mergeResults([run1of2, run2of2]);
    expect(merged.datasets[0]!.episodes).toBe(4);
    expect(new Set(merged.turns!.map((t) => `${t.strategy}/${t.episode}/${t.turn}`)).size).toBe(merged.turns!.length);
  });
});

