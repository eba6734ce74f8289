import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ctxbenchInProcess } from './in-process-cli.js';

describe('an input path that names no readable file', () => {
  it('is refused with the option to correct, not with the lenient flag, which cannot help', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctxbench-paths-'));
    const missing = join(dir, 'nonexist.jsonl');
    const run = await ctxbenchInProcess(['run', '-c', '1', '-d', `openai-jsonl:file=${missing}`, '-s', 'naive', '-o', join(dir, 'out')]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`${missing}: file: path must name a readable file (option file), got string "no such file (ENOENT)"`);
    expect(run.stderr).toContain('fix: correct the path given as file');
    expect(run.stderr).not.toContain('lenient');
    const folder = await ctxbenchInProcess(['run', '-c', '1', '-d', `openai-jsonl:file=${dir}`, '-s', 'naive', '-o', join(dir, 'out')]);
    expect(folder.status).toBe(2);
    expect(folder.stderr).toContain('fix: pass the path of a file as file, not a folder');
  });
});

describe('a value given twice is refused, not silently the last one', () => {
  it('refuses an option repeated in one -s entry', async () => {
    const run = await ctxbenchInProcess(['run', '-d', 'abcd', '-s', 'token-buffer:maxTokens=100,maxTokens=5000', '-o', mkdtempSync(join(tmpdir(), 'ctxbench-twice-'))]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('-s token-buffer:maxTokens=100,maxTokens=5000: option "maxTokens" is given twice');
  });

  it('refuses --limit beside a dataset limit that says otherwise', async () => {
    const run = await ctxbenchInProcess(['run', '-d', 'tau-bench-airline:limit=5', '--limit', '2', '-s', 'naive', '-o', mkdtempSync(join(tmpdir(), 'ctxbench-twice-'))]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('dataset "tau-bench-airline" has its own limit 5 and --limit is 2');
  });
});
