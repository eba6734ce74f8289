import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ConfigError, didYouMean } from '../errors.js';
import { PriceTable, type ModelPrice } from './pricing.js';

const usdPerMillion = z.number({ error: 'must be a number of USD per 1M tokens' }).nonnegative('must be zero or more USD per 1M tokens');
const tokenCount = z.number().int('must be a whole number of tokens').positive('must be a positive number of tokens');

const priceFields = {
  provider: z.enum(['openai', 'anthropic', 'google'], { error: 'must be "openai", "anthropic" or "google"' }),
  input: usdPerMillion,
  cachedInput: usdPerMillion,
  output: usdPerMillion,
  cacheWrite: usdPerMillion.optional(),
  cacheWriteExtended: usdPerMillion.optional(),
  contextWindow: tokenCount.optional(),
  minCacheTokens: tokenCount.optional(),
};

/** What the field types alone cannot say. */
function checkEntry(entry: { provider: string; input: number; cachedInput: number; cacheWrite?: number }, context: z.RefinementCtx): void {
  if (entry.provider === 'anthropic' && entry.cacheWrite === undefined) {
    context.addIssue({
      code: 'custom',
      path: ['cacheWrite'],
      message: 'is required for anthropic models (the 5-minute cache write price, 1.25 x input on current models); without it cache writes would be billed at the input price',
    });
  }
  if (entry.cachedInput > entry.input) {
    context.addIssue({
      code: 'custom',
      path: ['cachedInput'],
      message: `is more than input (${entry.input}): a prompt token read from the cache never costs more than an uncached one (check that the two are not swapped)`,
    });
  }
}

const entrySchema = z.object(priceFields).strict().superRefine(checkEntry);

const fileSchema = z.record(z.string(), entrySchema, { error: 'must be an object from model name to prices' });

/** One model's prices with its name, as the config file's `prices` lists them. */
export const namedPriceSchema = z
  .object({ model: z.string().min(1, 'must be a model name'), ...priceFields })
  .strict()
  .superRefine(checkEntry);

/** A list of named prices, each model at most once: the config file's `prices`. */
export const priceListSchema = z.array(namedPriceSchema).superRefine((entries, context) => {
  const repeat = firstRepeat(entries.map((entry) => entry.model));
  if (!repeat) return;
  context.addIssue({
    code: 'custom',
    path: [repeat.second, 'model'],
    message: `is priced twice (also at ${pathText(['prices', repeat.first])}): only the last entry would count`,
    params: { fix: `keep one entry for "${entries[repeat.first]!.model}"` },
  });
});

/** The first name given twice, by the positions of its first two occurrences. */
function firstRepeat(names: readonly string[]): { first: number; second: number } | undefined {
  const seen = new Map<string, number>();
  for (const [index, name] of names.entries()) {
    const first = seen.get(name);
    if (first !== undefined) return { first, second: index };
    seen.set(name, index);
  }
  return undefined;
}

const FILE_EXAMPLE = '{ "gpt-4o": { "provider": "openai", "input": 2.5, "cachedInput": 1.25, "output": 10 } }';
const LIST_EXAMPLE = '{ "model": "gpt-4o", "provider": "openai", "input": 2.5, "cachedInput": 1.25, "output": 10 }';

/**
 * Validates a price file's content: an object from model name to USD per 1M tokens,
 * e.g. `{ "gpt-4o": { "provider": "openai", "input": 2.5, "cachedInput": 1.25, "output": 10 } }`.
 * Errors name the model, the key, the value and the fix.
 */
export function parsePriceFile(content: unknown, source = 'price file'): ModelPrice[] {
  const parsed = fileSchema.safeParse(content);
  if (!parsed.success) throw priceError(source, parsed.error.issues, content, FILE_EXAMPLE, Object.keys(priceFields));
  return Object.entries(parsed.data).map(([model, entry]) => ({ model, ...entry }));
}

/** The error for issues that `priceListSchema` found in `content` (a whole config file) read from `file`. */
export function priceListError(file: string, issues: readonly z.core.$ZodIssue[], content: unknown): ConfigError {
  return priceError(file, issues, content, LIST_EXAMPLE, Object.keys(namedPriceSchema.shape));
}

/** Reads a JSON price file and returns the bundled prices with its models added or overridden. */
export async function loadPriceFile(path: string): Promise<PriceTable> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read price file ${path}: ${(error as Error).message}`, 'check the path, or leave the option out to use the bundled prices');
  }
  let content: unknown;
  try {
    content = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${path} is not valid JSON: ${(error as Error).message}`, `write an object from model name to prices, e.g. ${FILE_EXAMPLE}`);
  }
  const prices = parsePriceFile(content, path);
  // JSON.parse keeps the last of two equal keys without a word, so repeats are found in the text.
  const models = topLevelKeys(text);
  const repeat = firstRepeat(models);
  if (repeat) throw new ConfigError(`${path}: "${models[repeat.first]}" is priced twice: only the last entry would count`, `keep one entry for "${models[repeat.first]}"`);
  return new PriceTable(prices);
}

/** The keys of a JSON text's top-level object in order, repeats kept; `text` is valid JSON. */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let previous = '';
  for (const [token] of text.matchAll(/"(?:[^"\\]|\\.)*"|[{}[\]:]/g)) {
    if (token === ':' && depth === 1) keys.push(JSON.parse(previous) as string);
    else if (token === '{' || token === '[') depth++;
    else if (token === '}' || token === ']') depth--;
    previous = token;
  }
  return keys;
}

/** "source: key = value problem" with the issue's own fix, else the example entry. */
function priceError(source: string, issues: readonly z.core.$ZodIssue[], content: unknown, example: string, keys: readonly string[]): ConfigError {
  // A misspelt key also makes the intended one missing; the misspelling is the better clue.
  const issue = issues.find((candidate) => candidate.code === 'unrecognized_keys') ?? issues[0]!;
  const fix = issue.code === 'custom' && typeof issue.params?.fix === 'string' ? issue.params.fix : `correct that value; an entry looks like ${example}`;
  return new ConfigError(`${source}: ${describeIssue(issue, content, keys)}`, fix);
}

/** "key = value problem", with a misspelt key named itself rather than its parent object. */
function describeIssue(issue: z.core.$ZodIssue, content: unknown, keys: readonly string[]): string {
  if (issue.code === 'unrecognized_keys') return `${pathText([...issue.path, issue.keys[0]!])} is not a price key: ${didYouMean(issue.keys[0]!, keys)}`;
  const value = issue.path.reduce<unknown>((node, key) => (node as Record<PropertyKey, unknown> | undefined)?.[key], content);
  return `${pathText(issue.path) || '(root)'} = ${JSON.stringify(value) ?? 'nothing'} ${issue.message}`;
}

/** A key path as written in JavaScript: prices[1].cacheWrite, gpt-4o.input. */
function pathText(path: readonly PropertyKey[]): string {
  return path.map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index > 0 ? '.' : ''}${String(key)}`)).join('');
}
