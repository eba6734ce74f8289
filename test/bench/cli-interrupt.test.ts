import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';

const bin = new URL('../../bin/ctxbench.js', import.meta.url).pathname;

/** CPU time a process has used, all its threads (Linux: /proc/<pid>/stat, in clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function start(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, CI: 'true', ...env } });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, closed, stderr: () => stderr };
}

describe('Ctrl-C', () => {
  it('marks summary.md and the CSVs interrupted and reports the episodes that ran, not the dataset total', async () => {
    const out = mkdtempSync(join(tmpdir(), 'ctxbench-sigint-'));
    const run = start(['run', '--dataset', 'banking77', '-s', 'naive', '-f', 'json', 'md', 'csv', '-o', out]);
    while (!run.stderr().includes('progress:')) await sleep(20);
    run.child.kill('SIGINT');
    expect(await run.closed).toBe(130);
    const summary = readFileSync(join(out, 'summary.md'), 'utf8');
    const replayed = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')).aggregates[0].episodes as number;
    expect(summary).toContain('INTERRUPTED');
    expect(summary).toContain(`## banking77 (interrupted: ${replayed.toLocaleString('en-US')} of 2,000 episodes`);
    expect(readFileSync(join(out, 'summary.csv'), 'utf8').split('\n')[1]).toMatch(/,2000,2000,true$/);
    expect(readFileSync(join(out, 'turns.csv'), 'utf8').split('\n')[1]).toMatch(/,true$/);
  }, 180_000);

  it('quits at once on a second Ctrl-C during router training', async () => {
    const out = mkdtempSync(join(tmpdir(), 'ctxbench-sigint2-'));
    // The trained-model cache off: a router an earlier run trained would load in milliseconds.
    const run = start(['run', '--dataset', 'banking77', '-s', 'production', '-f', 'json', '-o', out], { CTXBENCH_MODEL_CACHE: 'off' });
    // banking77's router trains for 10 CPU-seconds or more before the first episode finishes.
    // Start-up (the process and two worker threads) takes about 3.5: once the process has used
    // 6, it is training, on a fast machine or a busy one. The second Ctrl-C comes as soon as the
    // first is acknowledged.
    while (cpuSeconds(run.child.pid!) < 6) await sleep(50);
    run.child.kill('SIGINT');
    while (!run.stderr().includes('press Ctrl-C again')) await sleep(20);
    run.child.kill('SIGINT');
    expect(await run.closed).toBe(130);
    expect(run.stderr()).toContain('press Ctrl-C again to quit now');
    expect(run.stderr()).not.toContain('progress:');
    expect(existsSync(join(out, 'result.json'))).toBe(false);
  }, 180_000);
});
