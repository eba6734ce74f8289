import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ctxbenchInProcess } from './in-process-cli.js';

const example = new URL('../../datasets/data/openai-jsonl/example.jsonl', import.meta.url).pathname;

describe('show re-assembles only from the input files the run read', () => {
  it('refuses an input file changed since the run, and one that is gone, instead of showing what was never sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctxbench-show-inputs-'));
    const log = join(dir, 'chat.jsonl');
    copyFileSync(example, log);
    const out = join(dir, 'out');
    const run = await ctxbenchInProcess(['run', '-c', '1', '-d', `openai-jsonl:file=${log}`, '--limit', '1', '-s', 'naive', '-f', 'json', '-o', out]);
    expect(run.status).toBe(0);
    const result = join(out, 'result.json');
    const episode = (JSON.parse(readFileSync(result, 'utf8')) as { turns: Array<{ episode: string }> }).turns[0]!.episode;
    const show = () => ctxbenchInProcess(['show', result, '-d', 'openai-jsonl', '-s', 'naive', '-e', episode, '-t', '0']);
    expect((await show()).status).toBe(0);

    writeFileSync(log, readFileSync(log, 'utf8').replace(/ORD-48213/g, 'ORD-99999'));
    const changed = await show();
    expect(changed.status).toBe(2);
    expect(changed.stderr).toContain(`${log} (dataset "openai-jsonl" option file) changed since the run`);
    expect(changed.stdout).not.toContain('ORD-99999');

    rmSync(log);
    const gone = await show();
    expect(gone.status).toBe(2);
    expect(gone.stderr).toContain('is gone since the run');
  });
});
