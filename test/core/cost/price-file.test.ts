import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../core/index.js';
import { loadPriceFile, parsePriceFile } from '../../../core/cost/price-file.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ctxbench-prices-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function priceFile(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

describe('bundled prices', () => {
  it.each([
    ['gpt-4o', { model: 'gpt-4o', provider: 'openai', input: 2.5, cachedInput: 1.25, output: 10 }],
    ['gpt-4o-mini', { model: 'gpt-4o-mini', provider: 'openai', input: 0.15, cachedInput: 0.075, output: 0.6 }],
    ['gpt-4.1', { model: 'gpt-4.1', provider: 'openai', input: 2, cachedInput: 0.5, output: 8 }],
    ['gpt-4.1-mini', { model: 'gpt-4.1-mini', provider: 'openai', input: 0.4, cachedInput: 0.1, output: 1.6 }],
    ['gpt-5', { model: 'gpt-5', provider: 'openai', input: 1.25, cachedInput: 0.125, output: 10 }],
    ['gpt-5-mini', { model: 'gpt-5-mini', provider: 'openai', input: 0.25, cachedInput: 0.025, output: 2 }],
    ['claude-sonnet-4-5', { model: 'claude-sonnet-4-5', provider: 'anthropic', input: 3, cacheWrite: 3.75, cachedInput: 0.3, output: 15 }],
    ['claude-sonnet-4-5-20250929', { model: 'claude-sonnet-4-5', provider: 'anthropic', input: 3, cacheWrite: 3.75, cachedInput: 0.3, output: 15 }],
    ['claude-haiku-4-5', { model: 'claude-haiku-4-5', provider: 'anthropic', input: 1, cacheWrite: 1.25, cachedInput: 0.1, output: 5 }],
    ['gemini-2.5-flash', { model: 'gemini-2.5-flash', provider: 'google', input: 0.3, cachedInput: 0.03, output: 2.5 }],
  ])("lists %s at the issue's prices, kept when a price file adds other models", async (model, price) => {
    const table = await loadPriceFile(await priceFile('other.json', JSON.stringify({ 'my-model': { provider: 'openai', input: 1, cachedInput: 1, output: 1 } })));
    expect(table.get(model)).toMatchObject(price);
  });
});

describe('user price file', () => {
  it('adds new models and overrides bundled ones', async () => {
    const path = await priceFile(
      'prices.json',
      JSON.stringify({
        'gpt-5': { provider: 'openai', input: 1.25, cachedInput: 0.125, output: 10 },
        'gpt-4o': { provider: 'openai', input: 3, cachedInput: 1.5, output: 12 },
        'claude-opus-4': { provider: 'anthropic', input: 15, cacheWrite: 18.75, cachedInput: 1.5, output: 75 },
      }),
    );
    const table = await loadPriceFile(path);
    expect(table.get('gpt-5')).toEqual({ model: 'gpt-5', provider: 'openai', input: 1.25, cachedInput: 0.125, output: 10 });
    expect(table.get('gpt-4o').input).toBe(3);
    expect(table.get('claude-opus-4-20250514').cacheWrite).toBe(18.75);
    expect(table.get('gpt-4o-mini').input).toBe(0.15);
  });

  it.each([
    [[], /\(root\) = \[\] must be an object from model name to prices/],
    [{ m: { provider: 'openai', input: -1, cachedInput: 1, output: 1 } }, /m\.input = -1 must be zero or more USD per 1M tokens/],
    [{ m: { provider: 'openai', input: '2.5', cachedInput: 1, output: 1 } }, /m\.input = "2\.5" must be a number of USD per 1M tokens/],
    [{ m: { provider: 'mistral', input: 1, cachedInput: 1, output: 1 } }, /m\.provider = "mistral" must be "openai", "anthropic" or "google"/],
    [{ m: { provider: 'openai', input: 1, cachedInput: 1 } }, /m\.output = nothing must be a number/],
    [{ m: { provider: 'anthropic', input: 1, cachedInput: 0.1, output: 5 } }, /m\.cacheWrite = nothing is required for anthropic models/],
    [{ m: { provider: 'openai', input: 1, cachedInput: 1, ouput: 1 } }, /m\.ouput is not a price key: did you mean "output"\?/],
    [{ m: { provider: 'openai', input: 2.5, cachedInput: 25, output: 10 } }, /m\.cachedInput = 25 is more than input \(2\.5\): a prompt token read from the cache never costs more/],
  ])('names the key, the value and the fix of an invalid entry %#', (content, message) => {
    expect(() => parsePriceFile(content, 'prices.json')).toThrow(ConfigError);
    expect(() => parsePriceFile(content, 'prices.json')).toThrow(message);
    expect(() => parsePriceFile(content, 'prices.json')).toThrow(/prices\.json: [\s\S]*fix: correct that value; an entry looks like/);
  });

  it('rejects a file that is not JSON, naming the file', async () => {
    const path = await priceFile('broken.json', '{ "gpt-5": ');
    await expect(loadPriceFile(path)).rejects.toThrow(ConfigError);
    await expect(loadPriceFile(path)).rejects.toThrow(/broken\.json is not valid JSON/);
  });

  it('rejects a file that does not exist, naming the path', async () => {
    const path = join(dir, 'missing.json');
    await expect(loadPriceFile(path)).rejects.toThrow(/cannot read price file .*missing\.json/);
  });

  it('refuses a model priced twice, which JSON would silently reduce to the last entry', async () => {
    const entry = (input: number) => `{ "provider": "openai", "input": ${input}, "cachedInput": 0.5, "output": 8 }`;
    const path = await priceFile('twice.json', `{ "gpt-4.1": ${entry(2)}, "my-model": ${entry(1)}, "gpt-4.1": ${entry(3)} }`);
    await expect(loadPriceFile(path)).rejects.toThrow(ConfigError);
    await expect(loadPriceFile(path)).rejects.toThrow(/twice\.json: "gpt-4\.1" is priced twice: only the last entry would count[\s\S]*fix: keep one entry for "gpt-4\.1"/);
  });

  it('names the file in validation errors', async () => {
    const path = await priceFile('negative.json', JSON.stringify({ 'gpt-5': { provider: 'openai', input: 1, cachedInput: -0.5, output: 10 } }));
    await expect(loadPriceFile(path)).rejects.toThrow(/negative\.json: gpt-5\.cachedInput = -0\.5 must be zero or more/);
  });
});
