import type { Named } from '../registry.js';
import type { DatasetNote, Episode, LoadedDataset, SkippedRecord } from './episode.js';

/** Options every loader accepts. */
export interface LoadOptions {
  /** Skip malformed records (listed in `skipped`) instead of failing. @default false */
  lenient?: boolean;
  /** Keep at most this many episodes (in file order). */
  limit?: number;
}

/** A dataset loader plug-in: reads one recorded-data format from paths given as options. */
export interface DatasetLoader<TOptions extends LoadOptions = LoadOptions> extends Named {
  /** Paths of the bundled copy, used when the caller gives none. */
  defaults(): TOptions;
  load(options: TOptions): Promise<LoadedDataset>;
  /**
   * Reads the episodes one at a time, so that a replay holds one episode (not the whole input)
   * at a time; each call reads the input anew. Loaders of small fixed data may leave it out.
   */
  stream?(options: TOptions): EpisodeStream;
}

/** Episodes read one at a time; `skipped` fills as they are read (under `lenient`). */
export interface EpisodeStream {
  name: string;
  episodes: AsyncIterable<Episode>;
  skipped: SkippedRecord[];
  /** Records kept but repaired or partly unscored, as they are read. @default none */
  notes?: DatasetNote[];
}

/** Types a loader definition; does nothing at run time. */
export function defineDataset<TOptions extends LoadOptions>(loader: DatasetLoader<TOptions>): DatasetLoader<TOptions> {
  return loader;
}
