import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ctxbenchInProcess } from './in-process-cli.js';

const temp = () => mkdtempSync(join(tmpdir(), 'ctxbench-prices-'));

describe('a run is priced at the model named, or refused before replaying', () => {
  it('refuses a misspelt model instead of billing it at a shorter model name\'s price', async () => {
    const out = temp();
    const run = await ctxbenchInProcess(['run', '-d', 'abcd', '--limit', '1', '-s', 'naive', '-c', '1', '-m', 'gpt-4o-minii', '-f', 'json', '-o', out]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/no price for model "gpt-4o-minii"\n {2}fix: did you mean "gpt-4o-mini"\?/);
    expect(run.stderr).not.toContain('progress:');
    expect(existsSync(join(out, 'result.json'))).toBe(false);
  });

  it('refuses a config price entry that the price file format would refuse, naming the file and key', async () => {
    const dir = temp();
    const config = join(dir, 'prices.json');
    writeFileSync(config, JSON.stringify({ prices: [{ model: 'claude-opus-4', provider: 'anthropic', input: 15, cachedInput: 1.5, output: 75 }] }));
    const run = await ctxbenchInProcess(['run', '--config', config, '-d', 'abcd', '-s', 'naive', '-m', 'claude-opus-4', '-o', join(dir, 'out')]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`${config}: prices[0].cacheWrite = nothing is required for anthropic models`);
    expect(existsSync(join(dir, 'out', 'result.json'))).toBe(false);
  });
});
