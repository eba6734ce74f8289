import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatCompletion, startFakeOpenAi } from '../support/openai-server.js';
import { ctxbenchInProcess, type CliRun } from './in-process-cli.js';

let server: Awaited<ReturnType<typeof startFakeOpenAi>>;

beforeAll(async () => {
  server = await startFakeOpenAi({ '/v1/chat/completions': () => chatCompletion('{"intents": [{"label": "manage_account", "confidence": 0.9}]}') });
});
afterAll(() => server.close());

/** Runs the CLI in this process (its own main) with `env` as the only LLM settings. */
function ctxbench(args: string[], env: Record<string, string>): Promise<CliRun> {
  const environment: Record<string, string | undefined> = { ...env };
  for (const key of ['CTXBENCH_LLM_BASE_URL', 'OPENAI_BASE_URL', 'CTXBENCH_LLM_API_KEY', 'OPENAI_API_KEY']) if (!(key in env)) environment[key] = undefined;
  return ctxbenchInProcess(args, { env: environment });
}

describe('LLM wiring of ctxbench run', () => {
  it('sends the router classifier to the endpoint in CTXBENCH_LLM_BASE_URL and records it', async () => {
    const out = mkdtempSync(join(tmpdir(), 'ctxbench-llm-'));
    const run = await ctxbench(['run', '-d', 'abcd', '--limit', '1', '-s', 'production', '-f', 'json', '-o', out], { CTXBENCH_LLM_BASE_URL: server.baseURL, CTXBENCH_LLM_MODEL: 'test-model' });
    expect(run.status).toBe(0);
    expect(server.requests.filter((r) => r.path === '/v1/chat/completions').length).toBeGreaterThan(0);
    const { llm } = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    expect(llm.endpoint).toBe(server.baseURL);
    const classifier = llm.parts.find((p: { part: string }) => p.part === 'classifier');
    expect(classifier).toMatchObject({ strategy: 'production', mode: 'llm' });
    expect(classifier.calls).toBeGreaterThan(0);
    expect(llm.parts.find((p: { part: string }) => p.part === 'embedder')).toMatchObject({ mode: 'offline', reason: expect.stringContaining('HashingEmbedder') });
  }, 120_000);

  it("writes summary-buffer's running summary with the endpoint, as production compacts, and records its calls", async () => {
    const out = mkdtempSync(join(tmpdir(), 'ctxbench-llm-summary-'));
    const before = server.requests.length;
    const run = await ctxbench(['run', '-d', 'abcd', '--limit', '1', '-s', 'summary-buffer:maxTokens=300,summaryTokens=100', '-f', 'json', '-o', out], { CTXBENCH_LLM_BASE_URL: server.baseURL, CTXBENCH_LLM_MODEL: 'test-model' });
    expect(run.status).toBe(0);
    expect(server.requests.slice(before).filter((r) => r.path === '/v1/chat/completions').length).toBeGreaterThan(0);
    const { llm } = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    const summarizer = llm.parts.find((p: { strategy: string; part: string }) => p.strategy === 'summary-buffer' && p.part === 'summarizer');
    expect(summarizer).toMatchObject({ mode: 'llm' });
    expect(summarizer.calls).toBeGreaterThan(0);
  }, 120_000);

  it('says when no endpoint is configured and records every part as offline with the reason', async () => {
    const out = mkdtempSync(join(tmpdir(), 'ctxbench-offline-'));
    const run = await ctxbench(['run', '-d', 'abcd', '--limit', '1', '-s', 'production', 'summary-buffer', '-f', 'json', '-o', out], {});
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('LLM: none configured');
    const { llm } = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    expect(llm.endpoint).toBeNull();
    expect(llm.parts.every((p: { mode: string; reason?: string }) => p.mode === 'offline' && p.reason)).toBe(true);
    expect(llm.parts.map((p: { strategy: string; part: string }) => `${p.strategy}/${p.part}`)).toEqual(expect.arrayContaining(['production/classifier', 'production/summarizer', 'summary-buffer/summarizer']));
  }, 120_000);
});
