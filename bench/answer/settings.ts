import { Command, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import { ConfigError, LLM_MAX_TIMEOUT_MS, llmConfigFromEnv, type EvaluationEstimate, type LlmConfig, type PriceTable } from '../../core/index.js';
import { AnswerEvaluator, JUDGE_MAX_TOKENS } from './evaluator.js';

const positiveInteger = z.number().int('must be a whole number').positive('must be 1 or more');

/** The `answer` section of ctxbench.config: the model-in-the-loop evaluation. */
export const answerConfigSchema = z
  .object({
    model: z.string().min(1).optional().describe('answer model: send every scored turn to it (as --answer-model)'),
    judgeModel: z.string().min(1).optional().describe('judge of answers against gold answers (as --judge-model)'),
    baseURL: z.string().regex(/^https?:\/\//, 'must be an http(s) URL such as http://127.0.0.1:11434/v1').optional().describe('OpenAI-compatible endpoint (default: CTXBENCH_LLM_BASE_URL, OPENAI_BASE_URL, else OpenAI)'),
    apiKey: z.string().min(1).optional().describe('API key (prefer CTXBENCH_LLM_API_KEY or OPENAI_API_KEY in the environment)'),
    maxSpendUsd: z.number().positive().optional().describe('stop before the estimated evaluation cost exceeds this (as --max-spend)'),
    cacheDir: z.string().min(1).optional().describe('on-disk response cache (default .ctxbench-cache/llm)'),
    concurrency: positiveInteger.optional().describe('calls in flight at once (default 4)'),
    maxTokens: positiveInteger.optional().describe('output cap of an answer call (default 512)'),
    timeoutMs: positiveInteger.max(LLM_MAX_TIMEOUT_MS, `must be at most ${LLM_MAX_TIMEOUT_MS} ms (about 24.8 days), the longest timer Node keeps`).optional().describe('bound of one call, retries included (default 120000)'),
    maxRetries: z.number().int().min(0).optional().describe('retries after 429, 5xx, dropped connections (default 4)'),
  })
  .strict()
  .optional()
  .describe('model-in-the-loop answer evaluation (ctxbench run --answer-model)');

export type AnswerConfig = z.input<typeof answerConfigSchema>;

/** The run command's answer flags. */
export interface AnswerFlags {
  answerModel?: string;
  judgeModel?: string;
  maxSpend?: number;
  dryRun?: boolean;
  answerCache?: string;
  answerConcurrency?: number;
}

const usd = (value: string) => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new InvalidArgumentError(`--max-spend must be a positive number of dollars, got "${value}"`);
  return parsed;
};

const count = (value: string) => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError(`--answer-concurrency must be a whole number of at least 1, got "${value}"`);
  return parsed;
};

/** Adds the answer evaluation's flags to the run command. */
export function addAnswerOptions(command: Command): Command {
  return command
    .addOption(new Option('--answer-model <model>', 'send every turn with a gold answer or a recorded tool call to this model and score its reply (endpoint: CTXBENCH_LLM_BASE_URL / OPENAI_BASE_URL, key: CTXBENCH_LLM_API_KEY / OPENAI_API_KEY)'))
    .addOption(new Option('--judge-model <model>', 'judge answers against gold answers with this model (CORRECT / WRONG, the published prompt)'))
    .addOption(new Option('--max-spend <usd>', 'stop before the estimated evaluation cost exceeds this many dollars').argParser(usd))
    .addOption(new Option('--dry-run', 'print what the answer evaluation would send and cost, then stop'))
    .addOption(new Option('--answer-cache <dir>', 'on-disk response cache (default: .ctxbench-cache/llm)'))
    .addOption(new Option('--answer-concurrency <n>', 'evaluation calls in flight at once (default: 4)').argParser(count));
}

/** The evaluator the flags and the config file ask for, or undefined when no answer model is set. */
export function answerEvaluator(flags: AnswerFlags, config: AnswerConfig, prices: PriceTable, write: (text: string) => void, env: NodeJS.ProcessEnv = process.env): AnswerEvaluator | undefined {
  const answerModel = flags.answerModel ?? config?.model;
  if (!answerModel) {
    const orphan = flags.dryRun ? '--dry-run' : flags.judgeModel ? '--judge-model' : flags.maxSpend !== undefined ? '--max-spend' : undefined;
    if (orphan) throw new ConfigError(`${orphan} applies to the answer evaluation, and no answer model is set`, 'add --answer-model <model> (or answer.model in ctxbench.config)');
    return undefined;
  }
  const judgeModel = flags.judgeModel ?? config?.judgeModel;
  const dryRun = flags.dryRun ?? false;
  return new AnswerEvaluator({
    answerModel,
    ...(judgeModel ? { judgeModel } : {}),
    endpoint: endpointOf(answerModel, config, env),
    cacheDir: flags.answerCache ?? config?.cacheDir ?? '.ctxbench-cache/llm',
    concurrency: flags.answerConcurrency ?? config?.concurrency ?? 4,
    maxTokens: config?.maxTokens ?? 512,
    ...(flags.maxSpend ?? config?.maxSpendUsd ? { maxSpendUsd: flags.maxSpend ?? config?.maxSpendUsd } : {}),
    dryRun,
    prices,
    ...(config?.maxRetries !== undefined ? { client: { maxRetries: config.maxRetries } } : {}),
    onEstimate: (estimate) => write(formatEstimate(estimate, answerModel, judgeModel, dryRun, flags.maxSpend ?? config?.maxSpendUsd)),
  });
}

/** The endpoint: the config file's, else the environment's (OpenAI when only a key is set); undefined when neither. */
function endpointOf(model: string, config: AnswerConfig, env: NodeJS.ProcessEnv): LlmConfig | undefined {
  const fromEnv = llmConfigFromEnv(env, model);
  const baseURL = config?.baseURL ?? fromEnv?.baseURL;
  const apiKey = config?.apiKey ?? fromEnv?.apiKey;
  if (!baseURL && !apiKey) return undefined;
  return { baseURL: baseURL ?? 'https://api.openai.com/v1', apiKey: apiKey ?? 'not-needed', model, ...(config?.timeoutMs ? { timeoutMs: config.timeoutMs } : {}) };
}

const thousands = (n: number) => n.toLocaleString('en-US');

/** The estimate as a few lines a person reads before anything is spent. */
export function formatEstimate(estimate: EvaluationEstimate, answerModel: string, judgeModel: string | undefined, dryRun: boolean, maxSpendUsd?: number): string {
  const judge = judgeModel
    ? `; judge ${judgeModel}: ${thousands(estimate.judgeRequests)} requests (${thousands(estimate.judgeRequestsCached)} cached)`
    : '; no judge (token F1 only; add --judge-model for the LLM judge)';
  const cost = estimate.costUsd === null ? 'cost unknown (a model has no price: add it under prices in ctxbench.config)' : `about $${estimate.costUsd.toFixed(4)} at list price`;
  return [
    `answer evaluation${dryRun ? ' (dry run: nothing is sent)' : ''}: ${thousands(estimate.turns)} turns to score`,
    `  answer ${answerModel}: ${thousands(estimate.answerRequests)} distinct requests (${thousands(estimate.answerRequestsCached)} cached)${judge}`,
    `  to send: ${thousands(estimate.inputTokens)} input tokens (${estimate.encoding}), ~${thousands(estimate.outputTokens)} output tokens (answers at the recorded reply's length, judge at its ${JUDGE_MAX_TOKENS}-token cap): ${cost}`,
    ...(maxSpendUsd === undefined || estimate.costUsd === null ? [] : [`  --max-spend $${maxSpendUsd}: ${estimate.costUsd > maxSpendUsd ? 'the estimate exceeds it, a run would not start' : 'within it'}`]),
    '',
  ].join('\n');
}
