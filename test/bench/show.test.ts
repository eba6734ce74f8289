import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ctxbenchInProcess } from './in-process-cli.js';

// In process (the CLI's own main): what is checked is what show prints.
const ctxbench = (...args: string[]) => ctxbenchInProcess(args);

describe('ctxbench show', () => {
  let result: string;
  beforeAll(async () => {
    const out = mkdtempSync(join(tmpdir(), 'ctxbench-show-'));
    expect((await ctxbench('run', '-d', 'tau-bench-airline:split=all', '--limit', '2', '-s', 'naive', 'token-buffer', '-c', '1', '-f', 'json', '-o', out)).status).toBe(0);
    result = join(out, 'result.json');
  });

  it('prints every message a strategy sent at a turn, its tools and its sections', async () => {
    const shown = await ctxbench('show', result, '-d', 'tau-bench-airline', '-s', 'naive', '-e', 'tau-airline/task-0/trial-0', '-t', '3');
    expect(shown.status).toBe(0);
    expect(shown.stdout).toMatch(/episode tau-airline\/task-0\/trial-0, turn 3: \d+ prompt tokens, \d+ from the prompt cache/);
    expect(shown.stdout).toContain('# Airline Agent Policy');
    expect(shown.stdout).toMatch(/tools \(14, \d+ tokens\): book_reservation/);
    expect(shown.stdout).toMatch(/--- \[0\] system, \d+ tokens/);
  });

  it("shows the prompt tokens and cached tokens the replay billed the turn with, the warm cross-conversation prefix included", async () => {
    const rows = (JSON.parse(readFileSync(result, 'utf8')) as { turns: Array<{ strategy: string; episode: string; turn: number; inputTokens: number; cachedTokens: number }> }).turns;
    const row = rows.find((t) => t.strategy === 'naive' && t.episode === 'tau-airline/task-0/trial-0' && t.turn === 0)!;
    expect(row.cachedTokens).toBeGreaterThan(0); // a first call: only the prefix other conversations keep warm is cached
    const shown = await ctxbench('show', result, '-d', 'tau-bench-airline', '-s', 'naive', '-e', 'tau-airline/task-0/trial-0', '-t', '0');
    expect(shown.stdout).toContain(`turn 0: ${row.inputTokens} prompt tokens, ${row.cachedTokens} from the prompt cache`);
  });

  it('marks each probe item found or missing', async () => {
    const naive = await ctxbench('show', result, '-d', 'tau-bench-airline', '-s', 'naive', '-e', 'tau-airline/task-0/trial-0', '-t', '2');
    expect(naive.stdout).toMatch(/\[x\] fact: /);
    expect(naive.stdout).not.toMatch(/\[ \] fact: /);
  });

  it('names a turn out of range with the range', async () => {
    const shown = await ctxbench('show', result, '-d', 'tau-bench-airline', '-s', 'naive', '-e', 'tau-airline/task-0/trial-0', '-t', '999');
    expect(shown.status).toBe(2);
    expect(shown.stderr).toMatch(/has turns 0 to \d+, not 999/);
  });

  it('names a strategy the result did not replay', async () => {
    const shown = await ctxbench('show', result, '-d', 'tau-bench-airline', '-s', 'production', '-e', 'tau-airline/task-0/trial-0');
    expect(shown.status).toBe(2);
    expect(shown.stderr).toMatch(/did not replay strategy "production"/);
  });

  it('refuses a result that recorded no settings for a strategy tuned per dataset, and names a recorded setting this version no longer takes', async () => {
    const written = JSON.parse(readFileSync(result, 'utf8')) as { config: { strategySettings?: Record<string, Record<string, Record<string, unknown>>> } };
    expect(written.config.strategySettings?.['token-buffer']?.['tau-bench-airline']).toEqual({ maxTokens: expect.any(Number) });
    const dir = mkdtempSync(join(tmpdir(), 'ctxbench-show-old-'));
    const older = structuredClone(written);
    delete older.config.strategySettings;
    writeFileSync(join(dir, 'older.json'), JSON.stringify(older));
    const refused = await ctxbench('show', join(dir, 'older.json'), '-d', 'tau-bench-airline', '-s', 'token-buffer', '-e', 'tau-airline/task-0/trial-0', '-t', '1');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/records no settings for strategy "token-buffer" on dataset "tau-bench-airline"/);
    // naive has no tuned settings: an older result still shows.
    expect((await ctxbench('show', join(dir, 'older.json'), '-d', 'tau-bench-airline', '-s', 'naive', '-e', 'tau-airline/task-0/trial-0', '-t', '1')).status).toBe(0);
    const retired = structuredClone(written);
    retired.config.strategySettings!['token-buffer']!['tau-bench-airline'] = { maxTokens: 4000, retiredKnob: 1 };
    writeFileSync(join(dir, 'retired.json'), JSON.stringify(retired));
    const invalid = await ctxbench('show', join(dir, 'retired.json'), '-d', 'tau-bench-airline', '-s', 'token-buffer', '-e', 'tau-airline/task-0/trial-0', '-t', '1');
    expect(invalid.status).toBe(2);
    expect(invalid.stderr).toMatch(/config\.strategySettings\.token-buffer\.tau-bench-airline: \{"maxTokens":4000,"retiredKnob":1\}\) are not valid for this version of ctxbench: .*unknown option "retiredKnob"/);
    const malformed = structuredClone(written) as unknown as { config: { strategySettings: unknown } };
    malformed.config.strategySettings = { 'token-buffer': 'maxTokens=4000' };
    writeFileSync(join(dir, 'malformed.json'), JSON.stringify(malformed));
    const bad = await ctxbench('show', join(dir, 'malformed.json'), '-d', 'tau-bench-airline', '-s', 'token-buffer', '-e', 'tau-airline/task-0/trial-0', '-t', '1');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/strategySettings/);
  });
});
