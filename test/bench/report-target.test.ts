import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkReportTarget, REPORT_MANIFEST } from '../../bench/report-set.js';
import { ctxbenchInProcess } from './in-process-cli.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'ctxbench-target-'));
const quickRun = (out: string, ...extra: string[]) => ctxbenchInProcess(['run', '-c', '1', '-d', 'abcd', '--limit', '1', '-s', 'naive', '-o', out, ...extra], { env: { CTXBENCH_MODEL_CACHE: 'off' } });

describe('the output directory: only files ctxbench wrote are overwritten or removed', () => {
  it('refuses to remove a file of the user that has a report name, before replaying, and leaves it', async () => {
    const out = fresh();
    writeFileSync(join(out, 'summary.md'), 'my own notes\n');
    const run = await quickRun(out, '-f', 'json');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(join(out, 'summary.md'));
    expect(run.stderr).toContain('was not written by ctxbench');
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toBe('my own notes\n');
    expect(existsSync(join(out, 'result.json'))).toBe(false);
  });

  it('refuses a run whose input file sits in the output directory under a report name', async () => {
    const out = fresh();
    const input = join(out, 'summary.csv');
    copyFileSync(new URL('../../datasets/data/banking77/train.csv', import.meta.url), input);
    const run = await ctxbenchInProcess(['run', '-c', '1', '-d', `banking77:file=${input},holdout=2`, '-s', 'naive', '-f', 'json', 'md', '-o', out], { env: { CTXBENCH_MODEL_CACHE: 'off' } });
    expect(run.status).toBe(2);
    expect(existsSync(input)).toBe(true);
  });

  it('replaces its own earlier reports, removing the formats no longer asked for, and records what it wrote', async () => {
    const out = fresh();
    expect((await quickRun(out, '-f', 'json', 'md', 'csv')).status).toBe(0);
    expect(existsSync(join(out, 'summary.csv'))).toBe(true);
    expect((await quickRun(out, '-f', 'json')).status).toBe(0);
    expect(existsSync(join(out, 'summary.csv'))).toBe(false);
    expect(existsSync(join(out, 'summary.md'))).toBe(false);
    const manifest = JSON.parse(readFileSync(join(out, REPORT_MANIFEST), 'utf8')) as { files: Record<string, string> };
    expect(Object.keys(manifest.files)).toEqual(['result.json']);
  });

  it('refuses to overwrite a report the user changed after ctxbench wrote it', async () => {
    const out = fresh();
    expect((await quickRun(out, '-f', 'json', 'md')).status).toBe(0);
    writeFileSync(join(out, 'summary.md'), 'edited by hand\n');
    const run = await quickRun(out, '-f', 'json', 'md');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('changed since ctxbench wrote it');
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toBe('edited by hand\n');
  });

  it('refuses a merge into the directory of one of its shards, which would overwrite that shard', async () => {
    const base = fresh();
    const [one, two] = [join(base, 's1'), join(base, 's2')];
    for (const [dir, shard] of [[one, '1/2'], [two, '2/2']] as const) {
      const run = await ctxbenchInProcess(['run', '-c', '1', '-d', 'abcd', '--limit', '2', '-s', 'naive', '--shard', shard, '-f', 'json', '-o', dir], { env: { CTXBENCH_MODEL_CACHE: 'off' } });
      expect(run.status).toBe(0);
    }
    const before = readFileSync(join(one, 'result.json'), 'utf8');
    const merge = await ctxbenchInProcess(['merge', join(one, 'result.json'), join(two, 'result.json'), '-o', one]);
    expect(merge.status).toBe(2);
    expect(merge.stderr).toContain('is an input of this command');
    expect(readFileSync(join(one, 'result.json'), 'utf8')).toBe(before);
    expect((await ctxbenchInProcess(['merge', join(one, 'result.json'), join(two, 'result.json'), '-o', join(base, 'merged'), '-f', 'json'])).status).toBe(0);
  });

  it('trusts a directory written before the manifest existed when its result.json is ctxbench\'s', () => {
    const out = fresh();
    writeFileSync(join(out, 'result.json'), '{\n  "schemaVersion": 7,\n  "ctxbenchVersion": "0.1.0"\n}\n');
    writeFileSync(join(out, 'summary.md'), '# old summary\n');
    expect(() => checkReportTarget(out, ['json'], true)).not.toThrow();
    const other = fresh();
    mkdirSync(join(other, 'sub'));
    writeFileSync(join(other, 'result.json'), '{"mine": true}\n');
    expect(() => checkReportTarget(other, ['json'], true)).toThrow(/was not written by ctxbench/);
  });
});
