import { z } from 'zod';
import { ConfigError, didYouMean } from '../errors.js';
import type { ModelPrice } from './pricing.js';

// The rules of one price entry, shared by price files, the config file's "prices" and PriceTable.

const usdPerMillion = z.number({ error: 'must be a number of USD per 1M tokens' }).nonnegative('must be zero or more USD per 1M tokens');
const tokenCount = z.number().int('must be a whole number of tokens').positive('must be a positive number of tokens');

export const priceFields = {
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

/** One model's prices, keyed by its name elsewhere (a price file). */
export const entrySchema = z.object(priceFields).strict().superRefine(checkEntry);

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
export function firstRepeat(names: readonly string[]): { first: number; second: number } | undefined {
  const seen = new Map<string, number>();
  for (const [index, name] of names.entries()) {
    const first = seen.get(name);
    if (first !== undefined) return { first, second: index };
    seen.set(name, index);
  }
  return undefined;
}

const LIST_EXAMPLE = '{ "model": "gpt-4o", "provider": "openai", "input": 2.5, "cachedInput": 1.25, "output": 10 }';

/** The error for issues that `priceListSchema` found in `content` (a whole config file) read from `file`. */
export function priceListError(file: string, issues: readonly z.core.$ZodIssue[], content: unknown): ConfigError {
  return priceError(file, issues, content, LIST_EXAMPLE, Object.keys(namedPriceSchema.shape));
}

const TABLE_EXAMPLE = "{ model: 'my-model', provider: 'openai', input: 2.5, cachedInput: 1.25, output: 10 }";

/**
 * `extra`, the entries handed to `new PriceTable`, checked with the config file's rules
 * (`priceListSchema`) and returned as frozen copies; else a ConfigError naming the entry's
 * index and model, the key, the value and the fix.
 */
export function checkedPriceList(extra: unknown): readonly ModelPrice[] {
  const parsed = priceListSchema.safeParse(extra);
  if (parsed.success) return Object.freeze(parsed.data.map((entry) => Object.freeze(entry)));
  const issue = parsed.error.issues.find((candidate) => candidate.code === 'unrecognized_keys') ?? parsed.error.issues[0]!;
  const index = issue.path[0];
  const model = typeof index === 'number' ? (extra as Array<{ model?: unknown } | undefined>)[index]?.model : undefined;
  const source = typeof model === 'string' ? `new PriceTable: model "${model}"` : 'new PriceTable';
  throw priceError(source, [issue], extra, TABLE_EXAMPLE, Object.keys(namedPriceSchema.shape), 'extra');
}

/** "source: key = value problem" with the issue's own fix, else the example entry. */
export function priceError(source: string, issues: readonly z.core.$ZodIssue[], content: unknown, example: string, keys: readonly string[], root?: string): ConfigError {
  // A misspelt key also makes the intended one missing; the misspelling is the better clue.
  const issue = issues.find((candidate) => candidate.code === 'unrecognized_keys') ?? issues[0]!;
  const fix = issue.code === 'custom' && typeof issue.params?.fix === 'string' ? issue.params.fix : `correct that value; an entry looks like ${example}`;
  return new ConfigError(`${source}: ${describeIssue(issue, content, keys, root)}`, fix);
}

/** "key = value problem", with a misspelt key named itself rather than its parent object; `root` names `content` in the path. */
function describeIssue(issue: z.core.$ZodIssue, content: unknown, keys: readonly string[], root?: string): string {
  const path = root === undefined ? issue.path : [root, ...issue.path];
  if (issue.code === 'unrecognized_keys') return `${pathText([...path, issue.keys[0]!])} is not a price key: ${didYouMean(issue.keys[0]!, keys)}`;
  const value = issue.path.reduce<unknown>((node, key) => (node as Record<PropertyKey, unknown> | undefined)?.[key], content);
  return `${pathText(path) || '(root)'} = ${valueText(value)} ${issue.message}`;
}

/** A value as JSON, with the numbers JSON cannot write (NaN, Infinity) as themselves. */
function valueText(value: unknown): string {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : (JSON.stringify(value) ?? 'nothing');
}

/** A key path as written in JavaScript: prices[1].cacheWrite, gpt-4o.input. */
function pathText(path: readonly PropertyKey[]): string {
  return path.map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index > 0 ? '.' : ''}${String(key)}`)).join('');
}
