import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkResult } from '../../bench/check.js';
import { AnswerEvaluator, type AnswerEvaluatorOptions } from '../../bench/answer/evaluator.js';
import { runBenchmark } from '../../bench/runner/run.js';
import { PriceTable, type RunResult } from '../../core/index.js';
import { apiError, startFakeOpenAi, type FakeResponse } from '../support/openai-server.js';
import { answerRegistries, scriptedModel } from './answer-fixtures.js';

const prices = new PriceTable([
  { model: 'answerer', provider: 'openai', input: 1, cachedInput: 0.5, output: 2 },
  { model: 'judge', provider: 'openai', input: 1, cachedInput: 0.5, output: 2 },
]);
let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups) await cleanup();
  cleanups = [];
});

async function endpoint(handler: (body: Record<string, unknown>) => FakeResponse | Promise<FakeResponse>) {
  const server = await startFakeOpenAi({ '/v1/chat/completions': handler });
  cleanups.push(server.close);
  return server;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ctxbench-answer-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

type Setup = Partial<AnswerEvaluatorOptions> & { strategies?: string[] };

function evaluate(baseURL: string | undefined, setup: Setup = {}): Promise<RunResult> {
  const { strategies = ['naive', 'sliding-window'], ...options } = setup;
  const evaluator = new AnswerEvaluator({
    answerModel: 'answerer',
    judgeModel: 'judge',
    ...(baseURL ? { endpoint: { baseURL, apiKey: 'k', model: 'answerer' } } : {}),
    cacheDir: tempDir(),
    prices,
    client: { retryBaseMs: 1, maxRetryWaitMs: 20, maxRetries: 1 },
    ...options,
  });
  return runBenchmark({ datasets: [{ name: 'answers' }], strategies: strategies.map((name) => ({ name })), registries: answerRegistries, evaluator });
}

const naiveRows = (result: RunResult) => result.turns!.filter((t) => t.strategy === 'naive');

/** An endpoint that bills every answer 100,000 prompt tokens, far above its counted size, and the dry-run estimate of naive's evaluation. */
async function overbilledAnswers() {
  const script = scriptedModel();
  const server = await endpoint((body) => {
    const reply = script(body);
    if (body.model === 'answerer') (reply.body as { usage: { prompt_tokens: number } }).usage.prompt_tokens = 100_000;
    return reply;
  });
  const { estimate } = (await evaluate(undefined, { dryRun: true, strategies: ['naive'] })).evaluation!;
  return { server, estimate };
}

describe('answer evaluation', () => {
  it('scores token F1 and the judge against gold answers, and next-action match against the recorded tool call', async () => {
    const server = await endpoint(scriptedModel());
    const rows = naiveRows(await evaluate(server.baseURL));
    const [paint, city, cancel, reply] = rows;
    expect(paint!.scores).toMatchObject({ answerJudge: 1 });
    // 1 of the reply's 3 tokens (mel, paint, sunset) is the gold answer's 1: precision 1/3, recall 1.
    expect(paint!.scores.answerF1).toBeCloseTo(0.5, 10);
    expect(paint!.answer).toEqual({ content: 'Mel painted a sunset.', verdict: 'CORRECT' });
    expect(city!.scores).toMatchObject({ answerJudge: 0, answerF1: 0 });
    expect(cancel!.scores).toMatchObject({ nextActionTool: 1, nextActionExact: 0, nextActionArguments: 0.5 });
    expect(cancel!.answer!.toolCalls).toEqual(['cancel_reservation({"reservation_id":"ZFA04Y","reason":"other"})']);
    expect(reply!.answer).toBeUndefined();
  });

  it('aggregates the answer metrics over episodes with bootstrap intervals, beside the probes', async () => {
    const server = await endpoint(scriptedModel());
    const naive = (await evaluate(server.baseURL)).aggregates.find((a) => a.strategy === 'naive')!;
    expect(naive.metrics.answerJudge).toEqual({ mean: 0.5, ci95: [0.5, 0.5], n: 1 });
    expect(naive.metrics.nextActionArguments).toEqual({ mean: 0.5, ci95: [0.5, 0.5], n: 1 });
    expect(naive.metrics.evidenceRecall).toBeDefined();
  });

  it('keeps its cost apart: the strategies cost exactly what they cost without it', async () => {
    const server = await endpoint(scriptedModel());
    const withEvaluation = await evaluate(server.baseURL);
    const without = await runBenchmark({ datasets: [{ name: 'answers' }], strategies: [{ name: 'naive' }, { name: 'sliding-window' }], registries: answerRegistries });
    expect(withEvaluation.aggregates.map((a) => a.costPerConversation)).toEqual(without.aggregates.map((a) => a.costPerConversation));
    const naive = withEvaluation.evaluation!.usage.find((u) => u.strategy === 'naive')!;
    expect(naive).toMatchObject({ turns: 3, failed: 0, answer: { model: 'answerer', calls: 3, inputTokens: 130, outputTokens: 28 }, judge: { model: 'judge', calls: 2, inputTokens: 600, outputTokens: 40 } });
    expect(naive.answer.costUsd).toBeCloseTo((130 * 1 + 28 * 2) / 1e6, 12);
  });

  it('sends an identical context once, even when two strategies assemble it', async () => {
    const server = await endpoint(scriptedModel());
    const result = await evaluate(server.baseURL);
    const answerRequests = server.requests.filter((r) => r.body.model === 'answerer');
    expect(answerRequests).toHaveLength(3);
    expect(result.evaluation!.run).toMatchObject({ sent: 3 + 2, fromCache: 3 + 2 });
  });

  it('answers a re-run from the cache without calling the endpoint, with the same scores', async () => {
    const server = await endpoint(scriptedModel());
    const cacheDir = tempDir();
    const first = await evaluate(server.baseURL, { cacheDir });
    const calls = server.requests.length;
    const second = await evaluate(server.baseURL, { cacheDir });
    expect(server.requests).toHaveLength(calls);
    expect(second.evaluation!.run).toMatchObject({ sent: 0, spentUsd: 0 });
    expect(second.evaluation!.estimate).toMatchObject({ answerRequestsCached: 3, judgeRequestsCached: 4, costUsd: 0 });
    expect(second.turns!.map((t) => t.scores)).toEqual(first.turns!.map((t) => t.scores));
    expect(second.evaluation!.usage).toEqual(first.evaluation!.usage);
  });

  it('resumes a run that failed part-way: a re-run sends only what the cache lacks', async () => {
    const script = scriptedModel();
    let healthy = false;
    const server = await endpoint((body) => (!healthy && JSON.stringify(body).includes('Mel live') ? apiError(503, 'overloaded') : script(body)));
    const cacheDir = tempDir();
    const first = await evaluate(server.baseURL, { cacheDir, strategies: ['naive'] });
    expect(first.evaluation!.failures).toHaveLength(1);
    healthy = true;
    const before = server.requests.length;
    const second = await evaluate(server.baseURL, { cacheDir, strategies: ['naive'] });
    const resent = server.requests.slice(before).map((r) => r.body.model);
    expect(resent).toEqual(['answerer', 'judge']);
    expect(second.evaluation!.failures).toEqual([]);
    expect(naiveRows(second)[1]!.scores).toMatchObject({ answerJudge: 0, answerF1: 0 });
  });

  it('leaves the judge score out and lists the turn when the judge reply is malformed', async () => {
    const server = await endpoint(scriptedModel({ malformedJudge: true }));
    const result = await evaluate(server.baseURL, { strategies: ['naive'] });
    const paint = naiveRows(result)[0]!;
    expect(paint.scores.answerJudge).toBeUndefined();
    expect(paint.scores.answerF1).toBeGreaterThan(0);
    expect(paint.answer!.error).toBe('E_JUDGE_VERDICT');
    expect(result.evaluation!.failures.map((f) => [f.episode, f.stage, f.code])).toEqual([
      ['answer/mel', 'judge', 'E_JUDGE_VERDICT'],
      ['answer/mel', 'judge', 'E_JUDGE_VERDICT'],
    ]);
    expect(result.aggregates[0]!.metrics.answerJudge).toBeUndefined();
    // The usage table's failed column agrees with the failures listed.
    expect(result.evaluation!.usage[0]!.failed).toBe(2);
  });

  it('records a turn whose call keeps failing and scores the others', async () => {
    const script = scriptedModel();
    const server = await endpoint((body) => (JSON.stringify(body).includes('Mel live') && body.model === 'answerer' ? apiError(500, 'boom') : script(body)));
    const result = await evaluate(server.baseURL, { strategies: ['naive'] });
    const [paint, city] = naiveRows(result);
    expect(paint!.scores.answerJudge).toBe(1);
    expect(city!.scores.answerF1).toBeUndefined();
    expect(city!.answer).toEqual({ content: null, error: 'E_LLM_FAILED' });
    expect(result.evaluation!.failures).toMatchObject([{ episode: 'answer/mel', turn: 1, stage: 'answer', code: 'E_LLM_FAILED' }]);
    expect(result.evaluation!.usage[0]).toMatchObject({ turns: 2, failed: 1 });
    // The failing call went out (and may be billed): it counts as sent, beside the calls that succeeded (a retry is the same call).
    expect(result.evaluation!.run.sent).toBe(new Set(server.requests.map((r) => JSON.stringify(r.body))).size);
    const gate = checkResult(result, { thresholds: {} }).gates.find((g) => g.name === 'answer evaluation complete')!;
    expect(gate).toMatchObject({ status: 'pass', value: 1, message: expect.stringContaining('1 calls failed') });
  });

  it('stops the whole run with a clear error when the endpoint does not know the model', async () => {
    const server = await endpoint(() => apiError(404, 'The model `answerer` does not exist.'));
    await expect(evaluate(server.baseURL)).rejects.toMatchObject({ code: 'E_LLM_MODEL', message: expect.stringContaining('"answerer"') });
  });

  it('refuses to start when the estimate exceeds --max-spend, before sending anything', async () => {
    const server = await endpoint(scriptedModel());
    await expect(evaluate(server.baseURL, { maxSpendUsd: 0.000001 })).rejects.toThrow(/estimated at \$0\.00\d+, more than --max-spend \$0\.000001/);
    expect(server.requests).toHaveLength(0);
  });

  it('stops sending once the calls billed so far leave no room under --max-spend', async () => {
    // The answers are billed 100,000 prompt tokens each, far above their counted size: the judge calls no longer fit.
    const { server, estimate } = await overbilledAnswers();
    const result = await evaluate(server.baseURL, { strategies: ['naive'], maxSpendUsd: estimate.costUsd! });
    expect(result.evaluation!.stoppedBySpendLimit).toBe(true);
    expect(server.requests.filter((r) => r.body.model === 'judge')).toHaveLength(0);
    const paint = naiveRows(result)[0]!;
    expect(paint.scores.answerF1).toBeDefined();
    expect(paint.scores.answerJudge).toBeUndefined();
    expect(checkResult(result, { thresholds: {} }).gates.find((g) => g.name === 'answer evaluation complete')!.status).toBe('fail');
  });

  it('holds --max-spend against calls queued behind others: each reserves only when it is sent, after the bills of those before', async () => {
    const { server, estimate } = await overbilledAnswers();
    // One at a time: the first answer bills far more than estimated, so the queued ones no longer fit.
    const result = await evaluate(server.baseURL, { strategies: ['naive'], maxSpendUsd: estimate.costUsd!, concurrency: 1 });
    expect(result.evaluation!.stoppedBySpendLimit).toBe(true);
    expect(server.requests.filter((r) => r.body.model === 'answerer')).toHaveLength(1);
    expect(result.evaluation!.run.spentUsd).toBeGreaterThan(estimate.costUsd!);
  });

  it('counts the reply\'s tokens when the endpoint reports no usage, instead of billing 0 output tokens', async () => {
    const script = scriptedModel();
    const server = await endpoint((body) => {
      const reply = script(body);
      delete (reply.body as { usage?: unknown }).usage;
      return reply;
    });
    const result = await evaluate(server.baseURL, { strategies: ['naive'] });
    const { answer, judge } = result.evaluation!.usage[0]!;
    expect(answer.calls).toBe(3);
    // "Mel painted a sunset." (6 tokens), "Berlin." (2), the cancel_reservation call: counted, not 0.
    expect(answer.outputTokens).toBeGreaterThan(8);
    expect(answer.inputTokens).toBeGreaterThan(0);
    expect(judge!.outputTokens).toBeGreaterThan(0);
  });

  it('names the usage field that is wrong, not a missing message, when a reply reports negative usage', async () => {
    const script = scriptedModel();
    const server = await endpoint((body) => {
      const reply = script(body);
      (reply.body as { usage: { prompt_tokens: number } }).usage.prompt_tokens = -5;
      return reply;
    });
    const result = await evaluate(server.baseURL, { strategies: ['naive'] });
    const messages = result.evaluation!.failures.map((f) => f.message).join('\n');
    expect(messages).toContain("the response's usage.prompt_tokens is invalid");
    expect(messages).not.toContain('has no choices[0].message');
  });

  it('sends no empty context (the ref-empty reference): there is nothing to answer from', async () => {
    const result = await evaluate(undefined, { dryRun: true, strategies: ['naive', 'ref-empty'] });
    expect(result.evaluation!.estimate).toMatchObject({ turns: 3, answerRequests: 3 });
  });

  it('estimates in a dry run without an endpoint and sends nothing', async () => {
    const result = await evaluate(undefined, { dryRun: true });
    expect(result.evaluation).toMatchObject({ dryRun: true, endpoint: null, usage: [], run: { sent: 0 } });
    expect(result.evaluation!.estimate).toMatchObject({ turns: 6, answerRequests: 3, answerRequestsCached: 0, judgeRequests: 4, judgeRequestsCached: 0, encoding: 'o200k_base' });
    expect(result.evaluation!.estimate.costUsd).toBeGreaterThan(0);
    expect(result.turns!.every((t) => t.scores.answerF1 === undefined)).toBe(true);
  });

  it('needs an endpoint for a real run and says how to configure one', async () => {
    await expect(evaluate(undefined)).rejects.toThrow(/needs an OpenAI-compatible endpoint[\s\S]*OPENAI_API_KEY/);
  });

  it('holds an unpriced model to no --max-spend it cannot check', async () => {
    await expect(evaluate('http://127.0.0.1:9/v1', { answerModel: 'llama3.1', maxSpendUsd: 1 })).rejects.toThrow(/no price for "llama3.1"/);
  });
});
