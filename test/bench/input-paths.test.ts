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
