import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runBenchmark } from '../../bench/runner/run.js';
import { defineDataset, Registry } from '../../core/index.js';
import { strategies } from '../../strategies/index.js';
import { ctxbenchInProcess } from './in-process-cli.js';

const temp = () => mkdtempSync(join(tmpdir(), 'ctxbench-empty-'));
const run = (out: string, dataset: string) => ctxbenchInProcess(['run', '-c', '1', '-d', 'abcd', dataset, '--limit', '1', '-s', 'naive', '-f', 'json', '-o', out], { env: { CTXBENCH_MODEL_CACHE: 'off' } });

describe('a dataset with nothing to replay is refused before any replay, not reported empty with exit 0', () => {
  it('refuses a limit of 0', async () => {
    const out = temp();
    const result = await ctxbenchInProcess(['run', '-c', '1', '-d', 'tau-bench-airline:limit=0', '-s', 'naive', '-f', 'json', '-o', out]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('dataset "tau-bench-airline" has nothing to replay: its limit is 0');
    expect(existsSync(join(out, 'result.json'))).toBe(false);
  });

  it('refuses a chat log whose every conversation was skipped, naming the file', async () => {
    const out = temp();
    const log = join(out, '..', `${Date.now()}-bad.jsonl`);
    writeFileSync(log, '{"messages": "not a list"}\n{"messages": 3}\n');
    const result = await run(out, `openai-jsonl:file=${log},lenient=true`);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/bad\.jsonl/);
    expect(result.stderr).not.toContain('progress:');
    expect(existsSync(join(out, 'result.json'))).toBe(false);
  });
});

describe('the runner refuses an empty dataset whatever the loader', () => {
  const loaderOf = (name: string, skipped: Array<{ file: string; record: string; reason: string }>, stream: boolean) => {
    const dataset = defineDataset({ name, description: 'empty', options: z.object({ lenient: z.boolean().default(true) }).strict(), load: async () => ({ name, episodes: [], skipped }) });
    // eslint-disable-next-line require-yield
    return stream ? { ...dataset, stream: () => ({ name, episodes: (async function* () {})(), skipped }) } : dataset;
  };
  it.each([false, true])('names the first skipped record (streaming loader: %s)', async (stream) => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const datasets = new Registry<any>('dataset').register(loaderOf('allbad', [{ file: 'a.json', record: 'record 1', reason: 'no turns' }, { file: 'a.json', record: 'record 2', reason: 'no turns' }], stream));
    await expect(runBenchmark({ datasets: [{ name: 'allbad' }], strategies: [{ name: 'naive' }], registries: { datasets, strategies } })).rejects.toThrow(
      'dataset "allbad" has nothing to replay: all 2 records were skipped (the first: a.json, record 1: no turns)',
    );
  });
  it('says so when nothing was skipped and nothing is there', async () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const datasets = new Registry<any>('dataset').register(loaderOf('nothing', [], false));
    await expect(runBenchmark({ datasets: [{ name: 'nothing' }], strategies: [{ name: 'naive' }], registries: { datasets, strategies } })).rejects.toThrow('its input holds no conversation with a turn to score');
  });
});
