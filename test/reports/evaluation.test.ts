import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnswerEvaluator } from '../../bench/answer/evaluator.js';
import { answerEvaluator } from '../../bench/answer/settings.js';
import { validateConfig } from '../../bench/config.js';
import { mergeResults } from '../../bench/runner/merge.js';
import { runBenchmark } from '../../bench/runner/run.js';
import { PriceTable, type RunResult } from '../../core/index.js';
import { REPORT_WRITERS } from '../../reports/index.js';
import { markdownSummary } from '../../reports/markdown.js';
import { answerRegistries, scriptedModel } from '../bench/answer-fixtures.js';
import { startFakeOpenAi } from '../support/openai-server.js';

const prices = new PriceTable([
  { model: 'answerer', provider: 'openai', input: 1, cachedInput: 0.5, output: 2 },
  { model: 'judge', provider: 'openai', input: 1, cachedInput: 0.5, output: 2 },
]);
let server: Awaited<ReturnType<typeof startFakeOpenAi>>;
let cacheDir: string;
let result: RunResult;

function evaluated(shard?: { index: number; count: number }): Promise<RunResult> {
  const evaluator = new AnswerEvaluator({ answerModel: 'answerer', judgeModel: 'judge', endpoint: { baseURL: server.baseURL, apiKey: 'k', model: 'answerer' }, cacheDir, prices });
  return runBenchmark({ datasets: [{ name: 'answers' }], strategies: [{ name: 'naive' }, { name: 'production' }], registries: answerRegistries, evaluator, ...(shard ? { shard } : {}) });
}

beforeAll(async () => {
  server = await startFakeOpenAi({ '/v1/chat/completions': scriptedModel() });
  cacheDir = mkdtempSync(join(tmpdir(), 'ctxbench-report-eval-'));
  result = await evaluated();
});
afterAll(async () => {
  await server.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

const write = (format: string, r: RunResult) => REPORT_WRITERS.find((w) => w.name === format)!.write(r);

describe('answer quality in the reports', () => {
  it('shows the answer metrics with their intervals beside the cost per conversation in summary.md', () => {
    const summary = markdownSummary(result);
    expect(summary).toMatch(/\| strategy \| tokens\/call .* \| \$\/conversation \|.*answerJudge \| answerF1 \| nextActionTool \| nextActionExact \| nextActionArguments \|/);
    expect(summary).toContain('0.500 [0.500, 0.500]');
  });

  it('reports the evaluation cost apart, as the result has it (the writer recomputes nothing)', () => {
    const marked = structuredClone(result);
    marked.evaluation!.usage[0]!.answer.costUsd = 12.5;
    marked.evaluation!.usage[0]!.judge!.costUsd = 0.25;
    expect(markdownSummary(marked)).toMatch(/## Answer evaluation[\s\S]*\| answers \| naive \| 3 \| 0 \| [\d,]+ \/ [\d,]+ \| [\d,]+ \/ [\d,]+ \| \$12\.7500 \|/);
    expect(write('html', marked)['report.html']).toContain('$12.7500');
    expect(write('csv', marked)['evaluation.csv']).toMatch(/^answers,naive,3,0,answerer,3,\d+,0,\d+,12\.5,judge,2,\d+,0,\d+,0\.25,12\.75$/m);
  });

  it('adds the answer metrics to summary.csv and turns.csv', () => {
    const files = write('csv', result);
    expect(files['summary.csv']!.split('\n')[0]).toContain('answerJudge.mean,answerJudge.ciLow,answerJudge.ciHigh');
    expect(files['turns.csv']!.split('\n')[0]).toContain('score:nextActionExact');
  });

  it('plots the judge score against cost in report.html when every strategy has it', () => {
    expect(write('html', result)['report.html']).toContain('answers: answerJudge against cost');
  });

  it('writes no evaluation files for a result without an evaluation', async () => {
    const plain = await runBenchmark({ datasets: [{ name: 'answers' }], strategies: [{ name: 'naive' }], registries: answerRegistries });
    expect(Object.keys(write('csv', plain))).not.toContain('evaluation.csv');
    expect(markdownSummary(plain)).not.toContain('Answer evaluation');
  });
});

describe('merging evaluated shards', () => {
  it('adds up the evaluation of every shard', async () => {
    const merged = mergeResults([await evaluated({ index: 1, count: 2 }), await evaluated({ index: 2, count: 2 })]);
    expect(merged.evaluation!.usage).toEqual(result.evaluation!.usage);
    expect(merged.aggregates.map((a) => a.metrics)).toEqual(result.aggregates.map((a) => a.metrics));
  });

  it('refuses shards of which only some were evaluated', async () => {
    const plain = await runBenchmark({ datasets: [{ name: 'answers' }], strategies: [{ name: 'naive' }, { name: 'production' }], registries: answerRegistries, shard: { index: 2, count: 2 } });
    expect(() => mergeResults([{ ...result, config: { ...result.config, shard: { index: 1, count: 2 } } }, plain])).toThrow(/differ in their answer evaluation/);
  });
});

describe('answer settings', () => {
  it('validates the answer section of the config file by key', () => {
    expect(() => validateConfig({ answer: { maxSpendUsd: -1 } }, 'ctxbench.config.json')).toThrow(/answer\.maxSpendUsd = -1/);
    expect(() => validateConfig({ answer: { baseURL: 'localhost:11434' } }, 'ctxbench.config.json')).toThrow(/answer\.baseURL/);
  });

  it('takes the model and the endpoint from the config file, ahead of the environment', async () => {
    const estimates: string[] = [];
    const evaluator = answerEvaluator({}, { model: 'answerer', baseURL: server.baseURL, cacheDir }, prices, (text) => estimates.push(text), { OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' });
    const evaluation = await runBenchmark({ datasets: [{ name: 'answers' }], strategies: [{ name: 'naive' }], registries: answerRegistries, evaluator });
    expect(evaluation.evaluation).toMatchObject({ answerModel: 'answerer', judgeModel: null, endpoint: server.baseURL });
    expect(estimates[0]).toMatch(/answer evaluation: 3 turns to score/);
  });

  it('is off without an answer model', () => {
    expect(answerEvaluator({}, undefined, prices, () => undefined, {})).toBeUndefined();
  });
});
