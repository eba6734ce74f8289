import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { entrySchema, firstRepeat, priceError, priceFields } from './price-schema.js';
import { PriceTable, type ModelPrice } from './pricing.js';

export { namedPriceSchema, priceListError, priceListSchema } from './price-schema.js';

const fileSchema = z.record(z.string(), entrySchema, { error: 'must be an object from model name to prices' });

const FILE_EXAMPLE = '{ "gpt-4o": { "provider": "openai", "input": 2.5, "cachedInput": 1.25, "output": 10 } }';

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
