import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { ConfigError, didYouMean } from '../errors.js';

/** A plug-in's options: a zod object whose fields carry their type, range, default and description. */
export type OptionsSchema = z.ZodObject;

/** Fields that name an input file (or a list of them): recorded with a content hash when a dataset is replayed. */
export const inputFileOptions = z.registry<{ bundled: string | null }>();

/** An option holding the path of an input file, defaulting to the bundled copy. */
export function inputFile(description: string, bundled: string): z.ZodDefault<z.ZodString> {
  const field = z.string().min(1, 'must be a file path').default(bundled).describe(description);
  inputFileOptions.add(field, { bundled: `bundled ${basename(bundled)}` });
  return field;
}

/** An option holding a list of input file paths, defaulting to the bundled copies. */
export function inputFileList(description: string, bundled: () => string[], shown: string): z.ZodDefault<z.ZodArray<z.ZodString>> {
  const field = z.array(z.string().min(1, 'must be a file path')).min(1, 'must list at least one file').default(bundled).describe(description);
  inputFileOptions.add(field, { bundled: shown });
  return field;
}

/** An optional input file without a bundled default. */
export function optionalInputFile(description: string): z.ZodOptional<z.ZodString> {
  const field = z.string().min(1, 'must be a file path').optional().describe(description);
  inputFileOptions.add(field, { bundled: null });
  return field;
}

/**
 * Fields that name input files or folders (or a list of them): a folder stands for its files whose
 * names match `files`. Recorded like {@link inputFileOptions}, file by file, so a changed dialogue in
 * a folder changes the run's inputs (a baseline comparison checks them by SHA-256).
 */
export const inputPathOptions = z.registry<{ files: RegExp }>();

/** The input files named by resolved options, in field order; folders as their matching files, in name order. */
export function inputFilesOf(schema: OptionsSchema, options: Record<string, unknown>): Array<{ option: string; file: string }> {
  return Object.entries(schema.shape).flatMap(([key, field]) => {
    const folders = inputPathOptions.get(field);
    if (!inputFileOptions.has(field) && folders === undefined) return [];
    const value = options[key];
    const paths = (Array.isArray(value) ? value : value === undefined ? [] : [value]).map(String);
    const files = folders === undefined ? paths : paths.flatMap((path) => (isFolder(path) ? readdirSync(path).filter((name) => folders.files.test(name)).sort().map((name) => join(path, name)) : [path]));
    return files.map((file) => ({ option: key, file }));
  });
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    // A path that is not there is described as a missing file, with its option named.
    return false;
  }
}

/** How an option's machine-specific default (a bundled folder) is shown in documentation. */
export const shownDefaults = z.registry<{ shown: string }>();

/** One option as documentation: key, accepted values, default and what it does. */
export interface OptionDoc {
  key: string;
  type: string;
  default: unknown;
  description: string;
}

/** The documentation of every option of a schema, in declaration order. */
export function describeOptions(schema: OptionsSchema): OptionDoc[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, Record<string, unknown>> };
  return Object.entries(schema.shape).map(([key, field]) => {
    const property = json.properties?.[key] ?? {};
    const bundled = inputFileOptions.get(field)?.bundled ?? shownDefaults.get(field)?.shown;
    return {
      key,
      type: typeOf(property),
      default: bundled ?? property.default,
      description: field.description ?? '',
    };
  });
}

function typeOf(property: Record<string, unknown>): string {
  if (Array.isArray(property.anyOf)) return (property.anyOf as Array<Record<string, unknown>>).map(typeOf).join(' | ');
  if (Array.isArray(property.enum)) return property.enum.map((value) => JSON.stringify(value)).join(' | ');
  if (property.type === 'array') return `${typeOf((property.items ?? {}) as Record<string, unknown>)}[]`;
  const bounds = [
    property.minimum !== undefined ? `>= ${property.minimum}` : '',
    property.exclusiveMinimum !== undefined ? `> ${property.exclusiveMinimum}` : '',
    property.maximum !== undefined && Number(property.maximum) < Number.MAX_SAFE_INTEGER ? `<= ${property.maximum}` : '',
    property.exclusiveMaximum !== undefined ? `< ${property.exclusiveMaximum}` : '',
  ].filter(Boolean);
  const type = property.type === 'integer' ? 'whole number' : String(property.type ?? 'any');
  return bounds.length ? `${type} ${bounds.join(', ')}` : type;
}

/**
 * Validates options against a plug-in's schema and fills in the defaults. An unknown key is an
 * error with a "did you mean" and the known keys; a wrong type or range names the key, the value
 * given and the values accepted.
 * @throws ConfigError
 */
export function parseOptions<S extends OptionsSchema>(kind: string, name: string, schema: S, input: unknown): z.output<S> {
  const where = `${kind} "${name}"`;
  if (input !== undefined && (input === null || typeof input !== 'object' || Array.isArray(input))) {
    throw new ConfigError(`${where}: options must be an object of key: value, got ${JSON.stringify(input)}`, `pass { key: value } (known keys: ${Object.keys(schema.shape).join(', ') || 'none'})`);
  }
  const known = Object.keys(schema.shape);
  const unknown = Object.keys(input ?? {}).find((key) => !known.includes(key));
  if (unknown !== undefined) {
    throw new ConfigError(`${where}: unknown option "${unknown}"`, known.length ? didYouMean(unknown, known) : `${name} takes no options; remove it`);
  }
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const key = issue.path.map(String).join('.');
  const value = issue.path.reduce<unknown>((node, step) => (node as Record<PropertyKey, unknown> | undefined)?.[step as PropertyKey], input);
  const doc = describeOptions(schema).find((option) => option.key === String(issue.path[0]));
  const accepted = doc ? `${doc.type}${doc.default !== undefined ? ` (default ${typeof doc.default === 'string' ? doc.default : JSON.stringify(doc.default)})` : ''}` : 'a valid value';
  throw new ConfigError(`${where}: option ${key} = ${JSON.stringify(value) ?? 'undefined'} is invalid: ${issue.message.replace(/^Invalid input: /, '')}`, `set ${key} to ${accepted}, or leave it out`);
}

/** The options a schema resolves to when none are given. */
export function defaultOptions<S extends OptionsSchema>(schema: S): z.output<S> {
  return schema.parse({});
}
