import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineConfig, loadConfig, validateConfig } from '../../bench/config.js';
import { configJsonSchema } from '../../bench/config-schema.js';

const bin = new URL('../../bin/ctxbench.js', import.meta.url).pathname;
const configModule = new URL('../../bench/config.ts', import.meta.url).pathname;
const workdir = () => mkdtempSync(join(tmpdir(), 'ctxbench-config-'));

describe('configuration file', () => {
  it('finds ctxbench.config.json in the working directory', async () => {
    const dir = workdir();
    writeFileSync(join(dir, 'ctxbench.config.json'), JSON.stringify({ datasets: ['abcd'], limit: 2 }));
    expect(await loadConfig(undefined, dir)).toEqual({ file: join(dir, 'ctxbench.config.json'), config: { datasets: ['abcd'], limit: 2 } });
  });

  it('loads a TypeScript config written with defineConfig', async () => {
    const dir = workdir();
    writeFileSync(join(dir, 'ctxbench.config.ts'), `import { defineConfig } from '${configModule}';\nexport default defineConfig({ strategies: ['naive', { name: 'token-buffer', options: { maxTokens: 1000 } }] });\n`);
    expect((await loadConfig(undefined, dir)).config.strategies).toEqual(['naive', { name: 'token-buffer', options: { maxTokens: 1000 } }]);
  });

  it('is empty when there is no config file', async () => {
    expect(await loadConfig(undefined, workdir())).toEqual({ file: null, config: {} });
  });

  it('names the file, the key, the value and the fix for a wrong value', () => {
    expect(() => validateConfig({ concurrency: 0 }, 'ctxbench.config.json')).toThrow(/ctxbench\.config\.json: concurrency = 0 must be 1 or more[\s\S]*fix:/);
    expect(() => validateConfig({ check: { minMetric: { factRetention: 2 } } }, 'c.json')).toThrow(/check\.minMetric\.factRetention = 2/);
  });

  it('refuses an LLM timeout longer than Node keeps a timer, which would fire at once', () => {
    const llm = { baseURL: 'http://127.0.0.1:8080/v1', model: 'm', timeoutMs: 3_000_000_000 };
    expect(() => validateConfig({ llm }, 'c.json')).toThrow(/c\.json: llm\.timeoutMs = 3000000000 must be at most 2147483647 ms/);
    expect(() => validateConfig({ answer: { timeoutMs: 3_000_000_000 } }, 'c.json')).toThrow(/answer\.timeoutMs = 3000000000/);
  });

  it('holds price entries to the price file rules: an anthropic model needs its cache write price', () => {
    const prices = [{ model: 'claude-opus-4', provider: 'anthropic', input: 15, cachedInput: 1.5, output: 75 }];
    expect(() => validateConfig({ prices }, 'c.json')).toThrow(/c\.json: prices\[0\]\.cacheWrite = nothing is required for anthropic models[\s\S]*fix: correct that value; an entry looks like \{ "model": "gpt-4o"/);
  });

  it('refuses a cached input price above the input price', () => {
    const prices = [{ model: 'gpt-4o', provider: 'openai', input: 2.5, cachedInput: 25, output: 10 }];
    expect(() => validateConfig({ prices }, 'c.json')).toThrow(/c\.json: prices\[0\]\.cachedInput = 25 is more than input \(2\.5\)/);
  });

  it('refuses a model priced twice instead of keeping the last entry', () => {
    const entry = { model: 'my-model', provider: 'openai', input: 1, cachedInput: 0.5, output: 2 };
    const prices = [entry, { ...entry, model: 'gpt-4o' }, { ...entry, input: 3 }];
    expect(() => validateConfig({ prices }, 'c.json')).toThrow(/c\.json: prices\[2\]\.model = "my-model" is priced twice \(also at prices\[0\]\)[\s\S]*fix: keep one entry for "my-model"/);
  });

  it('names a misspelt price key with a did-you-mean', () => {
    const prices = [{ model: 'm', provider: 'openai', input: 1, cachedInput: 1, ouput: 1 }];
    expect(() => validateConfig({ prices }, 'c.json')).toThrow(/c\.json: prices\[0\]\.ouput is not a price key: did you mean "output"\?/);
  });

  it('accepts valid price entries', () => {
    const prices = [
      { model: 'claude-opus-4', provider: 'anthropic' as const, input: 15, cacheWrite: 18.75, cachedInput: 1.5, output: 75 },
      { model: 'llama3.1', provider: 'openai' as const, input: 0, cachedInput: 0, output: 0 },
    ];
    expect(validateConfig({ prices }, 'c.json').prices).toEqual(prices);
  });

  it('names an unknown key and lists the known ones', () => {
    expect(() => validateConfig({ dataset: ['abcd'] }, 'c.json')).toThrow(/c\.json: dataset = \["abcd"\] is not a known key[\s\S]*datasets/);
  });

  it('explains a config file that cannot be read', async () => {
    const dir = workdir();
    writeFileSync(join(dir, 'ctxbench.config.json'), '{ not json');
    await expect(loadConfig(undefined, dir)).rejects.toThrow(/could not be read[\s\S]*fix the JSON syntax/);
    await expect(loadConfig('missing.json', dir)).rejects.toThrow(/does not exist/);
  });

  it('types its argument and returns it unchanged', () => {
    const config = { model: 'gpt-4o-mini' };
    expect(defineConfig(config)).toBe(config);
  });

  it('publishes the JSON Schema it validates with', () => {
    const published = JSON.parse(readFileSync(new URL('../../ctxbench.schema.json', import.meta.url), 'utf8'));
    expect(published).toEqual(configJsonSchema());
  });

  it('names no path of the machine that generated it, so every clone publishes the same schema', () => {
    const checkout = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
    expect(JSON.stringify(configJsonSchema())).not.toContain(checkout);
  });
});

describe('ctxbench run with a config file', () => {
  it('takes settings from the file and lets flags override them', () => {
    const dir = workdir();
    writeFileSync(join(dir, 'ctxbench.config.json'), JSON.stringify({ datasets: ['abcd'], strategies: ['naive', 'rag'], out: 'results', formats: ['json'], turns: false }));
    const run = spawnSync(process.execPath, [bin, 'run', '--strategy', 'naive', '-c', '1'], { cwd: dir, encoding: 'utf8' });
    expect(run.status).toBe(0);
    const result = JSON.parse(readFileSync(join(dir, 'results', 'result.json'), 'utf8'));
    expect(result.config.datasets).toEqual(['abcd']);
    expect(result.config.strategies).toEqual(['naive']);
    expect(result.turns).toBeUndefined();
  });

  it('exits 2 with the key to fix when the config is invalid', () => {
    const dir = workdir();
    writeFileSync(join(dir, 'ctxbench.config.json'), JSON.stringify({ seed: -1 }));
    const run = spawnSync(process.execPath, [bin, 'run'], { cwd: dir, encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('seed = -1');
  });
});
