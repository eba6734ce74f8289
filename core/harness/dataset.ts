import type { z } from 'zod';
import type { Named } from '../registry.js';
import type { DatasetNote, Episode, LoadedDataset, SkippedRecord } from './episode.js';
import { defaultOptions, parseOptions, type OptionsSchema } from './options.js';

/** Options every loader accepts. */
export interface LoadOptions {
  /** Skip malformed records (listed in `skipped`) instead of failing. @default false */
  lenient?: boolean;
  /** Keep at most this many episodes (in file order). */
  limit?: number;
}

/** A dataset loader plug-in: reads one recorded-data format from paths given as options. */
export interface DatasetLoader<TOptions extends LoadOptions = LoadOptions> extends Named {
  /** The options' schema: type, range, default and description of each (see describeOptions). */
  readonly options: OptionsSchema;
  /** The options used when the caller gives none: the bundled copy's paths. */
  defaults(): TOptions;
  /** Loads the dataset; the options are validated first (a typo or a wrong value is a ConfigError). */
  load(options?: Partial<TOptions>): Promise<LoadedDataset>;
  /**
   * Reads the episodes one at a time, so that a replay holds one episode (not the whole input)
   * at a time; each call reads the input anew; options are validated as for `load`. Loaders of
   * small fixed data leave it out.
   */
  stream?(options?: Partial<TOptions>): EpisodeStream;
}

/** Episodes read one at a time; `skipped` fills as they are read (under `lenient`). */
export interface EpisodeStream {
  name: string;
  episodes: AsyncIterable<Episode>;
  skipped: SkippedRecord[];
  /** Records kept but repaired or partly unscored, as they are read. @default none */
  notes?: DatasetNote[];
}

/** What a loader file declares: its name, its options' schema, and how to load (and stream) from valid options. */
export interface DatasetDefinition<S extends OptionsSchema> extends Named {
  options: S;
  load(options: z.output<S>): Promise<LoadedDataset>;
  stream?(options: z.output<S>): EpisodeStream;
}

/** Turns a definition into a loader whose `load` and `stream` validate their options and fill in the defaults. */
export function defineDataset<S extends OptionsSchema>(definition: DatasetDefinition<S>): DatasetLoader<z.output<S> & LoadOptions> {
  const parse = (options: object | undefined) => parseOptions('dataset', definition.name, definition.options, options ?? {});
  const stream = definition.stream;
  return {
    name: definition.name,
    description: definition.description,
    options: definition.options,
    defaults: () => defaultOptions(definition.options),
    load: async (options) => definition.load(parse(options)),
    ...(stream ? { stream: (options?: object) => stream.call(definition, parse(options)) } : {}),
  };
}
