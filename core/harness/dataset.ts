import type { Named } from '../registry.js';
import type { LoadedDataset } from './episode.js';

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
}

/** Types a loader definition; does nothing at run time. */
export function defineDataset<TOptions extends LoadOptions>(loader: DatasetLoader<TOptions>): DatasetLoader<TOptions> {
  return loader;
}
