import type { z } from 'zod';
import { ConfigError, type Named, type OptionsSchema, type Registry } from '../core/index.js';
import type { Selection } from './runner/run.js';

/** Field kinds whose values stay the raw text given on the command line. */
const TEXT_KINDS = new Set(['string', 'enum']);

function kindOf(field: z.ZodType | undefined): string | undefined {
  let current = field as { def: { type: string; innerType?: z.ZodType; element?: z.ZodType } } | undefined;
  while (current && (current.def.type === 'default' || current.def.type === 'optional')) current = current.def.innerType as typeof current;
  if (current?.def.type === 'array') return `array:${kindOf(current.def.element)}`;
  return current?.def.type;
}

/** A command-line value as the option's type wants it: text for text options, else JSON (numbers, booleans, lists), else text. */
function valueOf(field: z.ZodType | undefined, raw: string): unknown {
  const kind = kindOf(field);
  if (kind !== undefined && TEXT_KINDS.has(kind)) return raw;
  if (kind === 'array:string' && !raw.trimStart().startsWith('[')) return raw.split(';');
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * Reads one `-d`/`-s` entry: a plug-in name, optionally followed by `:key=value` pairs separated by
 * commas (`token-buffer:maxTokens=2000`, `openai-jsonl:file=logs.jsonl,lenient=true`). Values are
 * typed by the option's schema; lists are JSON (`files=["a.json","b.json"]`) or `;`-separated.
 * @throws ConfigError for an unknown plug-in or a pair that is not key=value
 */
export function parseSelection(flag: string, entry: string, registry: Registry<Named & { options: OptionsSchema }>): Selection {
  const colon = entry.indexOf(':');
  if (colon === -1) return { name: entry };
  const name = entry.slice(0, colon);
  const plugin = registry.get(name);
  const options: Record<string, unknown> = {};
  // A comma starts a new pair only before "key=", so JSON lists and paths with commas survive.
  for (const pair of entry.slice(colon + 1).split(/,(?=\s*[A-Za-z_][\w]*=)/)) {
    const equals = pair.indexOf('=');
    if (equals < 1) throw new ConfigError(`${flag} ${entry}: "${pair}" is not key=value`, `write ${flag} ${name}:key=value[,key=value] (options: ${Object.keys(plugin.options.shape).join(', ') || 'none'})`);
    const key = pair.slice(0, equals).trim();
    if (key in options) throw new ConfigError(`${flag} ${entry}: option "${key}" is given twice`, `give ${key} once (only one value can apply)`);
    options[key] = valueOf(plugin.options.shape[key], pair.slice(equals + 1));
  }
  return { name, options };
}
