import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../bench/config.js';
import { MEMORY_TABLE } from '../../core/memory/postgres-schema.js';
import { servedPglite, type ServedPglite } from '../support/postgres.js';

const bin = new URL('../../bin/ctxbench.js', import.meta.url).pathname;
const workdir = () => mkdtempSync(join(tmpdir(), 'ctxbench-memory-config-'));
// Asynchronous, so this process keeps serving PGlite to the CLI while it runs.
const ctxbench = (args: string[], options: { cwd: string; env?: Record<string, string> }) =>
  promisify(execFile)(process.execPath, [bin, ...args], { cwd: options.cwd, env: { ...process.env, CI: 'true', ...options.env }, encoding: 'utf8' });

describe('memory in the configuration file', () => {
  it('takes a PostgreSQL store with its URL, or the in-process default', () => {
    expect(validateConfig({ memory: { store: 'postgres', url: 'postgres://agent@db.internal/support' } }, 'c.json').memory).toEqual({ store: 'postgres', url: 'postgres://agent@db.internal/support' });
    expect(validateConfig({ memory: { store: 'in-process' } }, 'c.json').memory).toEqual({ store: 'in-process' });
  });

  it('names the key and the value of a store it does not know, or a PostgreSQL store without a URL', () => {
    expect(() => validateConfig({ memory: { store: 'redis' } }, 'c.json')).toThrow(/c\.json: memory\.store = "redis"/);
    expect(() => validateConfig({ memory: { store: 'postgres' } }, 'c.json')).toThrow(/c\.json: memory\.url = undefined is missing/);
  });
});

describe('ctxbench run with long-term memory in PostgreSQL', () => {
  let served: ServedPglite;
  const memoryRows = async () => (await served.db.query<{ user_id: string }>(`SELECT DISTINCT user_id FROM ${MEMORY_TABLE}`)).rows.map((row) => row.user_id);

  beforeAll(async () => {
    served = await servedPglite();
  });
  beforeEach(async () => {
    await served.db.exec(`DROP TABLE IF EXISTS ${MEMORY_TABLE}, ctxbench_memory_settings, ctxbench_memory_migrations`);
  });
  afterAll(() => served?.stop());

  it('keeps the production strategy\'s memories in the store the config file names', async () => {
    const dir = workdir();
    writeFileSync(join(dir, 'ctxbench.config.json'), JSON.stringify({ memory: { store: 'postgres', url: served.url } }));
    const run = await ctxbench(['run', '-d', 'tau-bench-airline', '--limit', '2', '-s', 'production', '-c', '1', '-f', 'json', '-o', 'out'], { cwd: dir });
    expect(run.stdout).toContain('## tau-bench-airline');
    expect(JSON.parse(readFileSync(join(dir, 'out', 'result.json'), 'utf8')).config.strategies).toEqual(['production']);
    expect((await memoryRows()).length).toBeGreaterThan(0);
  });

  it('takes the store from CTXBENCH_MEMORY_URL when the config names none, in worker threads too', async () => {
    const run = await ctxbench(['run', '-d', 'tau-bench-airline:split=all', '--limit', '1', '-s', 'production', '-c', '2', '-f', 'json', '-o', 'out'], { cwd: workdir(), env: { CTXBENCH_MEMORY_URL: served.url } });
    expect(run.stdout).toContain('## tau-bench-airline');
    expect((await memoryRows()).length).toBe(1);
  });
});
