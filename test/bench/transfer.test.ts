import { describe, expect, it } from 'vitest';
import type { Episode } from '../../core/index.js';
import { EpisodePacker, EpisodeUnpacker } from '../../bench/runner/transfer.js';
import { syntheticEpisode } from '../strategies/fixtures.js';

/** Two episodes that share their knowledge, intent profile and tools, as a loader's episodes do. */
function sharingEpisodes(): [Episode, Episode] {
  const first = syntheticEpisode('alice', 'AAA111');
  const intentProfile = { name: 'support', description: 'a support profile', intents: [{ name: 'order', description: 'orders', examples: ['where is my order'.repeat(200)] }] };
  const tools = [{ type: 'function' as const, function: { name: 'get_order', description: 'Looks an order up. '.repeat(200), parameters: { type: 'object', properties: {} } } }];
  const shared: Partial<Episode> = { knowledge: first.knowledge, intentProfile, tools };
  return [{ ...first, ...shared }, { ...syntheticEpisode('bob', 'BBB222'), ...shared }];
}

/** What a worker receives: the packed episode after a structured clone (postMessage). */
const posted = <T>(value: T): T => structuredClone(value);

describe('episodes posted to worker threads', () => {
  it('arrive equal to the episodes sent', () => {
    const packer = new EpisodePacker();
    const unpacker = new EpisodeUnpacker();
    for (const episode of sharingEpisodes()) expect(unpacker.unpack(posted(packer.pack(episode)))).toEqual(episode);
  });

  it('share one object per shared part, as the loader made them', () => {
    const packer = new EpisodePacker();
    const unpacker = new EpisodeUnpacker();
    const [a, b] = sharingEpisodes().map((episode) => unpacker.unpack(posted(packer.pack(episode))));
    expect(b!.knowledge).toBe(a!.knowledge);
    expect(b!.intentProfile).toBe(a!.intentProfile);
    expect(b!.tools).toBe(a!.tools);
  });

  it('carry a large shared part as shared memory, not a copy per episode', () => {
    const packed = new EpisodePacker().pack(sharingEpisodes()[0]);
    expect(packed.shared.knowledge).toMatchObject({ id: expect.any(Number), bytes: expect.any(SharedArrayBuffer) });
  });
});
