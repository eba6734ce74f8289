import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../core/index.js';
import { apiError, chatCompletion, startFakeOpenAi } from '../support/openai-server.js';
import { ctxbenchInProcess, type CliRun } from './in-process-cli.js';

const work = mkdtempSync(join(tmpdir(), 'ctxbench-answer-cli-'));
let server: Awaited<ReturnType<typeof startFakeOpenAi>>;

/** The CLI in this process (its own main), without any LLM endpoint from the environment unless `baseURL` is given. */
function ctxbench(args: string[], baseURL?: string): Promise<CliRun> {
  const env: Record<string, string | undefined> = Object.fromEntries(['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'CTXBENCH_LLM_API_KEY', 'CTXBENCH_LLM_BASE_URL', 'CTXBENCH_LLM_MODEL'].map((key) => [key, undefined]));
  if (baseURL) env.CTXBENCH_LLM_BASE_URL = baseURL;
  return ctxbenchInProcess(args, { env, cwd: work });
}

beforeAll(async () => {
  server = await startFakeOpenAi({
    '/v1/chat/completions': (body) => {
      const messages = body.messages as Array<{ role: string; content: string }>;
      const last = messages.at(-1)!.content ?? '';
      if (body.model === 'judge-model') return chatCompletion(JSON.stringify({ label: /Generated answer: .*\d/.test(last) ? 'CORRECT' : 'WRONG' }), { usage: { prompt: 280, completion: 12 } });
      if (body.model !== 'answer-model') return apiError(404, `model "${String(body.model)}" not found, try pulling it first`);
      if (body.tools || messages.some((m) => m.role === 'tool')) return chatCompletion(null, { toolCalls: [{ name: 'get_user_details', arguments: '{"user_id":"mia_li_3668"}' }] });
      return chatCompletion('It was in 2022.', { usage: { prompt: 900, completion: 7 } });
    },
  });
});
afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

const evaluationArgs = (out: string) => ['run', '-d', 'locomo', 'tau-bench-airline:split=all', '--limit', '1', '-s', 'naive', '--answer-model', 'answer-model', '--judge-model', 'judge-model', '--answer-cache', join(work, 'cache'), '-o', out];

describe('ctxbench run --answer-model', () => {
  it('scores the replayed turns with the model, writes answer quality into every report, and pays once', async () => {
    const out = join(work, 'first');
    const run = await ctxbench(evaluationArgs(out), server.baseURL);
    expect(run.stderr).toMatch(/answer evaluation: [\d,]+ turns to score/);
    expect(run.status).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as RunResult;
    const locomo = result.aggregates.find((a) => a.dataset === 'locomo' && a.strategy === 'naive')!;
    expect(locomo.metrics.answerJudge!.n).toBe(1);
    expect(locomo.metrics.answerF1).toBeDefined();
    expect(result.aggregates.find((a) => a.dataset === 'tau-bench-airline')!.metrics.nextActionTool).toBeDefined();
    expect(result.evaluation).toMatchObject({ answerModel: 'answer-model', judgeModel: 'judge-model', endpoint: server.baseURL, failures: [] });
    expect(result.evaluation!.run.sent).toBeGreaterThan(0);
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toMatch(/answerJudge[\s\S]*## Answer evaluation/);
    expect(readFileSync(join(out, 'evaluation.csv'), 'utf8')).toMatch(/^dataset,strategy,turns,failed,answer\.model/);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('id="answer-evaluation"');

    const sent = server.requests.length;
    const again = await ctxbench(evaluationArgs(join(work, 'second')), server.baseURL);
    expect(again.status).toBe(0);
    expect(server.requests).toHaveLength(sent);
    const rerun = JSON.parse(readFileSync(join(work, 'second', 'result.json'), 'utf8')) as RunResult;
    expect(rerun.evaluation!.run.sent).toBe(0);
    expect(rerun.aggregates.map((a) => a.metrics)).toEqual(result.aggregates.map((a) => a.metrics));
  });

  it('prints the estimate of a dry run, sends nothing and writes nothing', async () => {
    const out = join(work, 'dry');
    const before = server.requests.length;
    const run = await ctxbench(['run', '-d', 'locomo', '--limit', '1', '-s', 'naive', '--answer-model', 'gpt-4o-mini', '--judge-model', 'gpt-4o-mini', '--dry-run', '--max-spend', '0.01', '--answer-cache', join(work, 'dry-cache'), '-o', out]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/dry run: nothing is sent[\s\S]*about \$\d+\.\d{4} at list price\n {2}--max-spend \$0\.01: the estimate exceeds it, a run would not start/);
    expect(existsSync(join(out, 'result.json'))).toBe(false);
    expect(server.requests).toHaveLength(before);
  });

  it('exits 2 naming the endpoint when nothing listens there', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const baseURL = `http://127.0.0.1:${port}/v1`;
    const run = await ctxbench(['run', '-d', 'abcd', '--limit', '1', '-s', 'naive', '--answer-model', 'answer-model', '--answer-cache', join(work, 'cache-2'), '-o', join(work, 'down')], baseURL);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`cannot reach the LLM endpoint ${baseURL}: ECONNREFUSED`);
  });

  it('exits 2 saying the model is not served when the endpoint does not know it', async () => {
    const run = await ctxbench(['run', '-d', 'abcd', '--limit', '1', '-s', 'naive', '--answer-model', 'no-such-model', '--answer-cache', join(work, 'cache-3'), '-o', join(work, 'unknown')], server.baseURL);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/model "no-such-model"\): the model is not served there/);
  });

  it('exits 2 when --judge-model comes without an answer model', async () => {
    const run = await ctxbench(['run', '-d', 'abcd', '--judge-model', 'gpt-4o-mini']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--judge-model applies to the answer evaluation');
  });
});
