import type { DatasetLoader, Episode, LoadedDataset, LoadOptions, RunResult } from '../../core/index.js';
import type { Peers } from './episode.js';

/** What the result says of a dataset: episodes and turns replayed, records skipped. */
export type DatasetSummary = RunResult['datasets'][number];

/** One pass over a dataset's episodes (in the shard), for one strategy. */
export interface Pass {
  name: string;
  episodes: AsyncIterable<Episode>;
}

/** A dataset's episodes pass after pass, and its summary (complete once the first pass is read). */
export interface DatasetPasses {
  /** `complete` once the first pass was read to its end. */
  summary: DatasetSummary & { complete: boolean };
  next(): Pass;
  /** The dataset's first two episodes, before sharding: the other conversations every episode is compared with. */
  peers(): Promise<Peers>;
}

/**
 * Opens a dataset for one pass per strategy. A loader that streams is read anew for every pass,
 * one episode at a time, so no pass holds the whole input; the first pass counts the summary.
 * Any other loader is loaded once and its episodes are kept for every pass.
 */
export async function datasetPasses(loader: DatasetLoader<LoadOptions>, options: LoadOptions, shard?: { index: number; count: number }, loaded?: LoadedDataset): Promise<DatasetPasses> {
  const inShard = (i: number) => !shard || i % shard.count === shard.index - 1;
  if (!loader.stream) {
    const dataset = loaded ?? (await loader.load(options));
    const episodes = dataset.episodes.filter((_, i) => inShard(i));
    const summary = { name: dataset.name, episodes: episodes.length, turns: episodes.reduce((sum, e) => sum + e.turns.length, 0), skipped: dataset.skipped, notes: dataset.notes ?? [], complete: true };
    const peers: Peers = { first: dataset.episodes[0], second: dataset.episodes[1] };
    return { summary, next: () => ({ name: dataset.name, episodes: fromArray(episodes) }), peers: async () => peers };
  }
  const stream = loader.stream.bind(loader);
  const summary = { name: loader.name, episodes: 0, turns: 0, skipped: [] as DatasetSummary['skipped'], notes: [] as NonNullable<DatasetSummary['notes']>, complete: false };
  let passes = 0;
  return {
    summary,
    async peers() {
      const first: Episode[] = [];
      for await (const episode of stream(options).episodes) {
        first.push(episode);
        if (first.length === 2) break;
      }
      return { first: first[0], second: first[1] };
    },
    next() {
      const opened = stream(options);
      const counting = passes++ === 0;
      if (counting) {
        summary.name = opened.name;
        summary.skipped = opened.skipped;
        summary.notes = opened.notes ?? [];
      }
      return { name: opened.name, episodes: inShardOf(opened.episodes, inShard, counting ? summary : undefined) };
    },
  };
}

async function* fromArray(episodes: readonly Episode[]): AsyncGenerator<Episode> {
  yield* episodes;
}

async function* inShardOf(episodes: AsyncIterable<Episode>, inShard: (i: number) => boolean, summary: (DatasetSummary & { complete: boolean }) | undefined): AsyncGenerator<Episode> {
  let index = 0;
  for await (const episode of episodes) {
    if (!inShard(index++)) continue;
    if (summary) {
      summary.episodes++;
      summary.turns += episode.turns.length;
    }
    yield episode;
  }
  if (summary) summary.complete = true;
}
