import { z } from 'zod';
import { inputFileOptions, shownDefaults, type Named, type OptionsSchema, type Registry } from '../core/index.js';
import { datasets } from '../datasets/index.js';
import { strategies } from '../strategies/index.js';
import { configSchema } from './config.js';

/** A plug-in entry: its name alone, or { name, options } with that plug-in's own options. */
function entries(registry: Registry<Named & { options: OptionsSchema }>, what: string) {
  const plugins = registry.list();
  const named = plugins.map((plugin) => z.object({ name: z.literal(plugin.name), options: plugin.options.optional() }).strict().describe(plugin.description));
  return z
    .array(z.union([z.enum(registry.names() as [string, ...string[]]), ...named]))
    .min(1)
    .optional()
    .describe(what);
}

/** The JSON Schema of the configuration file, with every plug-in's options, for editors and CI linters. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = configSchema.extend({ datasets: entries(datasets, 'datasets to replay, by name or { name, options }'), strategies: entries(strategies, 'strategies to compare, by name or { name, options }') });
  const json = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    // Bundled paths are absolute on the machine that generated the file: say "the bundled copy" instead.
    override: (context) => {
      const field = context.zodSchema as unknown as z.ZodType;
      if (inputFileOptions.has(field) || shownDefaults.has(field)) delete context.jsonSchema.default;
    },
  });
  return { $id: 'https://ctxbench.dev/ctxbench.schema.json', title: 'ctxbench configuration', ...json };
}
