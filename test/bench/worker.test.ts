import { describe, expect, it } from 'vitest';
import { PriceTable, sharedCounter, TECHCORP_SCENARIO } from '../../core/index.js';
import { replayEpisode } from '../../bench/runner/episode.js';
import { EpisodePacker } from '../../bench/runner/transfer.js';
import replayJob from '../../bench/runner/worker.js';
import { strategies } from '../../strategies/index.js';
import { syntheticEpisode } from '../strategies/fixtures.js';

const withoutLatency = (rows: Array<Array<{ latencyMs: number }>>) => rows.map((episode) => episode.map((row) => ({ ...row, latencyMs: 0 })));

describe('the replay worker', () => {
  it('replays a posted job as the main thread replays its episodes', async () => {
    const episodes = [syntheticEpisode('alice', 'AAA111'), syntheticEpisode('bob', 'BBB222', 4)];
    const packer = new EpisodePacker();
    const prices = new PriceTable();
    const job = {
      dataset: 'synthetic',
      strategy: { name: 'token-buffer', options: { maxTokens: 900 } },
      scenario: TECHCORP_SCENARIO,
      price: prices.get(TECHCORP_SCENARIO.model),
      strategyModule: new URL('../../strategies/index.ts', import.meta.url).href,
      episodes: structuredClone(episodes.map((e) => packer.pack(e))),
      peers: {},
    };
    const counter = sharedCounter(TECHCORP_SCENARIO.model);
    const plugin = strategies.get('token-buffer');
    const strategy = plugin.create({ ...plugin.defaults, maxTokens: 900 }, { counter, model: TECHCORP_SCENARIO.model });
    const expected = await Promise.all(episodes.map((e) => replayEpisode('synthetic', 'token-buffer', strategy, e, { counter, prices, scenario: TECHCORP_SCENARIO })));
    expect(withoutLatency(await replayJob(job))).toEqual(withoutLatency(expected));
    expect(withoutLatency(await replayJob(job))).toEqual(withoutLatency(expected));
  });
});
