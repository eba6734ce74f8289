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
