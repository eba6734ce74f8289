import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ctxbenchInProcess } from './in-process-cli.js';

const bin = new URL('../../bin/ctxbench.js', import.meta.url).pathname;
/** The installed binary in a child process: for what only a process shows (start-up, exit codes, signals). */
const ctxbench = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
/** The same command line in this process: no second of start-up per call. */
const inProcess = (...args: string[]) => ctxbenchInProcess(args);

describe('ctxbench CLI', () => {
  it('replays a dataset, writes result.json and summary.md, and prints the verdict', () => {
    const out = mkdtempSync(join(tmpdir(), 'ctxbench-cli-'));
    const run = ctxbench('run', '--dataset', 'tau-bench-airline', '--limit', '2', '--strategy', 'naive', 'production', '-c', '1', '-o', out);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('| tau-bench-airline |');
    expect(run.stderr).toMatch(/progress: tau-bench-airline × production: \d+\/\d+ turns/);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    expect(result.schemaVersion).toBe(2);
    expect(result.aggregates.map((a: { strategy: string }) => a.strategy)).toEqual(['naive', 'production']);
    expect(existsSync(join(out, 'summary.md'))).toBe(true);
  });

  it('exits 2 and suggests a name for an unknown dataset', async () => {
    const run = await inProcess('run', '--dataset', 'locomoo', '-o', mkdtempSync(join(tmpdir(), 'ctxbench-cli-')));
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/unknown dataset "locomoo"[\s\S]*did you mean "locomo"/);
  });

  it('exits 2 on a malformed option and says what it expects', async () => {
    const run = await inProcess('run', '--shard', 'two');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--shard must look like i/n');
  });

  it('exits 2 for a model without a price (the installed binary)', () => {
    const run = ctxbench('run', '--model', 'gpt-9');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('no price for model "gpt-9"');
  });

  it('lists the registered datasets, strategies and priced models', async () => {
    const list = await inProcess('list');
    expect(list.status).toBe(0);
    for (const name of ['tau-bench-airline', 'locomo', 'banking77', 'naive', 'production', 'gpt-4o-mini']) expect(list.stdout).toContain(name);
  });

  it('prints the per-section token table of the demo context', () => {
    const demo = ctxbench('demo');
    expect(demo.stdout).toMatch(/context for mia_li_3668: \d+ of 8000 tokens/);
  });

  it('prints its version', () => {
    expect(ctxbench('--version').stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('ctxbench report and check', () => {
  const out = mkdtempSync(join(tmpdir(), 'ctxbench-gate-'));
  const resultPath = join(out, 'result.json');

  it('writes every report format from one run', async () => {
    const run = await inProcess('run', '--dataset', 'abcd', '-c', '1', '-o', out);
    expect(run.status).toBe(0);
    for (const file of ['result.json', 'summary.md', 'summary.csv', 'turns.csv']) expect(existsSync(join(out, file))).toBe(true);
  });

  it('rewrites reports from an existing result', async () => {
    const again = mkdtempSync(join(tmpdir(), 'ctxbench-report-'));
    const report = await inProcess('report', resultPath, '-o', again, '--format', 'md', 'csv');
    expect(report.status).toBe(0);
    expect(readFileSync(join(again, 'summary.md'), 'utf8')).toBe(readFileSync(join(out, 'summary.md'), 'utf8'));
  });

  it('passes a result against itself as baseline and writes JUnit XML', async () => {
    const junit = join(out, 'gates.xml');
    const check = await inProcess('check', resultPath, '--baseline', resultPath, '--junit', junit, '--latency-tolerance', '10');
    expect(check.status).toBe(0);
    expect(check.stdout).toContain('PASS');
    expect(readFileSync(junit, 'utf8')).toContain('<testsuite');
  });

  it('exits 1 when a threshold is missed', () => {
    const check = ctxbench('check', resultPath, '--max-cost-ratio', '0.01');
    expect(check.status).toBe(1);
    expect(check.stdout).toContain('FAIL');
  });

  it('exits 2 on a file that is not a result', async () => {
    const check = await inProcess('check', join(out, 'summary.md'));
    expect(check.status).toBe(2);
    expect(check.stderr).toContain('summary.md');
  });

  it('exits 2 on an unknown report format', async () => {
    const report = await inProcess('report', resultPath, '--format', 'pdf');
    expect(report.status).toBe(2);
    expect(report.stderr).toMatch(/unknown report format "pdf"/);
  });
});

describe('ctxbench merge', () => {
  it('merges the results of shard runs and refuses mixed configurations', async () => {
    const dirs: string[] = [];
    for (const index of [1, 2]) {
      const dir = mkdtempSync(join(tmpdir(), `ctxbench-shard${index}-`));
      expect((await inProcess('run', '--dataset', 'abcd', '--shard', `${index}/2`, '-s', 'naive', 'rag', '-c', '1', '-f', 'json', '-o', dir)).status).toBe(0);
      dirs.push(join(dir, 'result.json'));
    }
    const out = mkdtempSync(join(tmpdir(), 'ctxbench-merged-'));
    const merge = await inProcess('merge', ...dirs, '-o', out);
    expect(merge.status).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')).datasets[0].episodes).toBe(3);
    const other = mkdtempSync(join(tmpdir(), 'ctxbench-other-'));
    await inProcess('run', '--dataset', 'abcd', '--shard', '2/2', '--seed', '5', '-s', 'naive', 'rag', '-c', '1', '-f', 'json', '-o', other);
    const refused = await inProcess('merge', dirs[0]!, join(other, 'result.json'), '-o', out);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(`${join(other, 'result.json')} differs from ${dirs[0]} in config.seed: 1 vs 5`);
  });
});

describe('ctxbench run interrupted', () => {
  it('stops cleanly on Ctrl-C in worker threads and keeps what finished', async () => {
    const { spawn } = await import('node:child_process');
    const out = mkdtempSync(join(tmpdir(), 'ctxbench-sigint-'));
    const child = spawn(process.execPath, [bin, 'run', '--dataset', 'banking77', '--concurrency', '2', '-f', 'json', '-o', out], { env: { ...process.env, CI: 'true' } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('progress:') && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    expect(result.interrupted).toBe(true);
    expect(result.aggregates[0].turns).toBeGreaterThan(0);
    expect(result.aggregates[0].turns).toBeLessThan(10003);
  }, 600_000);
});
