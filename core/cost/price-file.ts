import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ConfigError, didYouMean } from '../errors.js';
import { PriceTable, type ModelPrice } from './pricing.js';

const usdPerMillion = z.number({ error: 'must be a number of USD per 1M tokens' }).nonnegative('must be zero or more USD per 1M tokens');

const entrySchema = z
  .object({
    provider: z.enum(['openai', 'anthropic', 'google'], { error: 'must be "openai", "anthropic" or "google"' }),
    input: usdPerMillion,
    cachedInput: usdPerMillion,
    output: usdPerMillion,
    cacheWrite: usdPerMillion.optional(),
    cacheWriteExtended: usdPerMillion.optional(),
    contextWindow: z.number().int('must be a whole number of tokens').positive('must be a positive number of tokens').optional(),
    minCacheTokens: z.number().int('must be a whole number of tokens').positive('must be a positive number of tokens').optional(),
  })
  .strict()
  .refine((entry) => entry.provider !== 'anthropic' || entry.cacheWrite !== undefined, {
    path: ['cacheWrite'],
    error: 'is required for anthropic models (the 5-minute cache write price, 1.25 x input on current models)',
  });

const fileSchema = z.record(z.string(), entrySchema, { error: 'must be an object from model name to prices' });

const PRICE_KEYS = ['provider', 'input', 'cachedInput', 'output', 'cacheWrite', 'cacheWriteExtended', 'contextWindow', 'minCacheTokens'];
const EXAMPLE = '{ "gpt-4o": { "provider": "openai", "input": 2.5, "cachedInput": 1.25, "output": 10 } }';

/**
 * Validates a price file's content: an object from model name to USD per 1M tokens,
 * e.g. `{ "gpt-4o": { "provider": "openai", "input": 2.5, "cachedInput": 1.25, "output": 10 } }`.
 * Errors name the model, the key, the value and the fix.
 */
export function parsePriceFile(content: unknown, source = 'price file'): ModelPrice[] {
  const parsed = fileSchema.safeParse(content);
  if (!parsed.success) {
    // A misspelt key also makes the intended one missing; the misspelling is the better clue.
    const issues = parsed.error.issues;
    const issue = issues.find((candidate) => candidate.code === 'unrecognized_keys') ?? issues[0]!;
    throw new ConfigError(`${source}: ${describeIssue(issue, content)}`, `correct that value; an entry looks like ${EXAMPLE}`);
  }
  return Object.entries(parsed.data).map(([model, entry]) => ({ model, ...entry }));
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
    throw new ConfigError(`${path} is not valid JSON: ${(error as Error).message}`, `write an object from model name to prices, e.g. ${EXAMPLE}`);
  }
  return new PriceTable(parsePriceFile(content, path));
}

/** "key = value problem", with a misspelt key named itself rather than its parent object. */
function describeIssue(issue: z.core.$ZodIssue, content: unknown): string {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') return `${[...path, issue.keys[0]].join('.')} is not a price key: ${didYouMean(issue.keys[0]!, PRICE_KEYS)}`;
  const value = path.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], content);
  return `${path.join('.') || '(root)'} = ${JSON.stringify(value) ?? 'nothing'} ${issue.message}`;
}
