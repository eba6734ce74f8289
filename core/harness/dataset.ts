import type { z } from 'zod';
import type { Named } from '../registry.js';
import type { LoadedDataset } from './episode.js';
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
}

/** What a loader file declares: its name, its options' schema, and how to load from valid options. */
export interface DatasetDefinition<S extends OptionsSchema> extends Named {
  options: S;
  load(options: z.output<S>): Promise<LoadedDataset>;
}

/** Turns a definition into a loader whose `load` validates its options and fills in the defaults. */
export function defineDataset<S extends OptionsSchema>(definition: DatasetDefinition<S>): DatasetLoader<z.output<S> & LoadOptions> {
  return {
    name: definition.name,
    description: definition.description,
    options: definition.options,
    defaults: () => defaultOptions(definition.options),
    load: async (options) => definition.load(parseOptions('dataset', definition.name, definition.options, options ?? {})),
  };
}
