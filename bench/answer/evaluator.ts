import {
  chatBody,
  ConfigError,
  judgeMessages,
  JUDGE_PROMPT_VERSION,
  type LlmError,
  matchAction,
  parseJudgeVerdict,
  requestKey,
  ResponseCache,
  resolveEncoding,
  round,
  sharedCounter,
  tokenF1,
  type AnswerEvaluation,
  type ChatClientOptions,
  type ChatReply,
  type ChatRequest,
  type EvaluationEstimate,
  type LlmConfig,
  type PriceTable,
  type TokenCounter,
  type TurnRow,
} from '../../core/index.js';
import { billed, EvaluationCalls } from './calls.js';
import { assertWithinBudget, dollars, priceOf } from './spend.js';
import { targetsOf, type ReplayedTurn, type Targets } from './targets.js';
import { UsageBook } from './usage.js';

/** Output cap of a judge call: a one-sentence reason and the label. */
export const JUDGE_MAX_TOKENS = 200;

/** Settings of the model-in-the-loop evaluation. */
export interface AnswerEvaluatorOptions {
  answerModel: string;
  /** Judges answers against gold answers when set; token F1 is scored either way. */
  judgeModel?: string;
  /** Where to send; only a dry run may go without. */
  endpoint?: LlmConfig;
  /** The on-disk response cache (keyed by model + request hash). */
  cacheDir: string;
  /** Calls in flight at once. @default 4 */
  concurrency?: number;
  /** Output cap of an answer call. @default 512 */
  maxTokens?: number;
  /** Stops before the evaluation's estimated spend exceeds this many dollars. */
  maxSpendUsd?: number;
  /** Estimate only: send nothing. @default false */
  dryRun?: boolean;
  prices: PriceTable;
  /** Retry and backoff settings of the client (tests shorten them). */
  client?: Omit<ChatClientOptions, 'cacheDir' | 'concurrency'>;
  /** Called with the estimate before anything is sent. */
  onEstimate?: (estimate: EvaluationEstimate) => void;
}

/** One distinct answer request and what it is estimated to take. */
interface AnswerRequest {
  request: ChatRequest;
  key: string;
  inputTokens: number;
  outputTokens: number;
  cached: boolean;
}

interface EvaluatedTurn {
  row: TurnRow;
  targets: Targets;
  answer: AnswerRequest;
}

/**
 * Sends each replayed turn's context to an answer model and scores its reply: token F1 and an LLM
 * judge against gold answers, next-action match against recorded tool calls. The runner hands it
 * every turn (`observe`); `finish` estimates, holds to --max-spend, sends, and writes the scores
 * into the turn rows before they are aggregated. Its cost is reported apart from the strategies'.
 */
export class AnswerEvaluator {
  private readonly requests = new Map<string, AnswerRequest>();
  private readonly turns: EvaluatedTurn[] = [];
  private readonly counter: TokenCounter;
  private readonly cache: ResponseCache;
  private readonly maxTokens: number;

  constructor(private readonly options: AnswerEvaluatorOptions) {
    this.counter = sharedCounter(encodingOf(options.answerModel));
    this.cache = new ResponseCache(options.cacheDir);
    this.maxTokens = options.maxTokens ?? 512;
  }

  /** Takes one replayed turn; turns with nothing to score against, or an empty context (nothing to send), are left alone. */
  observe(replayed: ReplayedTurn): void {
    const targets = targetsOf(replayed);
    if (!targets || replayed.context.messages.length === 0) return;
    const request: ChatRequest = { model: this.options.answerModel, messages: replayed.context.messages, tools: replayed.context.tools, max_tokens: this.maxTokens };
    const key = requestKey(request.model, chatBody(request));
    let answer = this.requests.get(key);
    if (!answer) {
      const inputTokens = this.counter.countRequest(request.messages, request.tools);
      answer = { request, key, inputTokens, outputTokens: Math.min(replayed.row.outputTokens, this.maxTokens), cached: this.cache.get(key) !== undefined };
      this.requests.set(key, answer);
    }
    this.turns.push({ row: replayed.row, targets, answer });
  }

  /** What the evaluation would send and cost, from the turns observed so far. */
  estimate(): EvaluationEstimate {
    const { answerModel, judgeModel, prices } = this.options;
    let answerIn = 0;
    let answerOut = 0;
    for (const request of this.requests.values()) {
      if (request.cached) continue;
      answerIn += request.inputTokens;
      answerOut += request.outputTokens;
    }
    let judgeRequests = 0;
    let judgeCached = 0;
    let judgeIn = 0;
    for (const turn of this.turns) {
      const judge = judgeModel && turn.targets.gold ? this.judgeRequest(turn) : undefined;
      if (!judge) continue;
      judgeRequests++;
      if (judge.known && this.cache.get(requestKey(judge.request.model, chatBody(judge.request)))) judgeCached++;
      else judgeIn += judge.inputTokens;
    }
    const judgeOut = (judgeRequests - judgeCached) * JUDGE_MAX_TOKENS;
    const answerUsd = dollars(priceOf(prices, answerModel), { input: answerIn, cached: 0, output: answerOut });
    const judgeUsd = judgeRequests === judgeCached ? 0 : dollars(priceOf(prices, judgeModel ?? answerModel), { input: judgeIn, cached: 0, output: judgeOut });
    return {
      turns: this.turns.length,
      answerRequests: this.requests.size,
      answerRequestsCached: [...this.requests.values()].filter((r) => r.cached).length,
      judgeRequests,
      judgeRequestsCached: judgeCached,
      inputTokens: answerIn + judgeIn,
      outputTokens: answerOut + judgeOut,
      costUsd: answerUsd === null || judgeUsd === null ? null : round(answerUsd + judgeUsd, 6),
      encoding: resolveEncoding(encodingOf(answerModel)),
    };
  }

  /** Estimates, then (unless a dry run) sends every request and scores the turn rows in place. */
  async finish(signal?: AbortSignal): Promise<AnswerEvaluation> {
    const { answerModel, judgeModel, prices, endpoint, maxSpendUsd, dryRun = false } = this.options;
    const estimate = this.estimate();
    this.options.onEstimate?.(estimate);
    const book = new UsageBook(answerModel, judgeModel, prices);
    const base = { answerModel, judgeModel: judgeModel ?? null, judgePromptVersion: judgeModel ? JUDGE_PROMPT_VERSION : null, endpoint: endpoint?.baseURL ?? null, maxTokens: this.maxTokens, dryRun, estimate };
    if (dryRun) return { ...base, usage: [], run: { sent: 0, fromCache: 0, spentUsd: 0 }, stoppedBySpendLimit: false, failures: [] };
    assertWithinBudget(estimate.costUsd, maxSpendUsd, [answerModel, judgeModel ?? answerModel].filter((m) => !priceOf(prices, m)));
    if (!endpoint) {
      throw new ConfigError(
        `--answer-model ${answerModel} needs an OpenAI-compatible endpoint, and none is configured`,
        'set OPENAI_API_KEY (OpenAI), or CTXBENCH_LLM_BASE_URL / OPENAI_BASE_URL (e.g. http://127.0.0.1:11434/v1 for Ollama), or answer.baseURL in ctxbench.config; --dry-run needs none',
      );
    }
    const calls = new EvaluationCalls({ endpoint, cache: this.cache, prices, concurrency: this.options.concurrency ?? 4, ...(maxSpendUsd !== undefined ? { maxSpendUsd } : {}), ...(this.options.client ? { client: this.options.client } : {}) }, signal);
    for (const turn of this.turns) book.entry(turn.row);
    await Promise.all(this.turns.map((turn) => this.evaluateTurn(turn, calls, book)));
    return { ...base, usage: book.entries(), ...calls.summary(book.priced) };
  }

  /** Sends one turn's context (once per distinct request), scores the reply, and has it judged when the turn has a gold answer. */
  private async evaluateTurn(turn: EvaluatedTurn, calls: EvaluationCalls, book: UsageBook): Promise<void> {
    const failed = (stage: 'answer' | 'judge', error: unknown) => {
      if (!calls.failed(turn.row, stage, error)) return;
      turn.row.answer = { ...turn.row.answer, content: turn.row.answer?.content ?? null, error: (error as LlmError).code };
      book.failed(turn.row);
    };
    let reply: ChatReply;
    try {
      reply = await calls.sendOnce(turn.answer.key, turn.answer.request, { input: turn.answer.inputTokens, cached: 0, output: turn.answer.outputTokens });
    } catch (error) {
      return failed('answer', error);
    }
    this.scoreReply(turn, reply);
    book.add(turn.row, 'answer', billed(reply, turn.answer.inputTokens));
    const judge = this.options.judgeModel && turn.targets.gold ? this.judgeRequest(turn, reply.message.content ?? '') : undefined;
    if (!judge) return;
    try {
      const verdict = await calls.send(judge.request, { input: judge.inputTokens, cached: 0, output: JUDGE_MAX_TOKENS });
      book.add(turn.row, 'judge', billed(verdict, judge.inputTokens));
      if (!this.scoreVerdict(turn, verdict, calls)) book.failed(turn.row);
    } catch (error) {
      failed('judge', error);
    }
  }

  /** The judge request of a turn; without the answer yet, its size is estimated from the answer's expected length. */
  private judgeRequest(turn: EvaluatedTurn, answer?: string): { request: ChatRequest; inputTokens: number; known: boolean } | undefined {
    const gold = turn.targets.gold!;
    const cachedAnswer = answer ?? this.cache.get(turn.answer.key)?.message.content ?? undefined;
    const messages = judgeMessages(gold.question, gold.answer, cachedAnswer ?? '');
    const request: ChatRequest = { model: this.options.judgeModel!, messages, max_tokens: JUDGE_MAX_TOKENS, response_format: { type: 'json_object' } };
    const inputTokens = this.counter.countRequest(messages) + (cachedAnswer === undefined ? turn.answer.outputTokens : 0);
    return { request, inputTokens, known: cachedAnswer !== undefined };
  }

  private scoreReply(turn: EvaluatedTurn, reply: ChatReply): void {
    const { content, tool_calls: toolCalls } = reply.message;
    const { gold, action } = turn.targets;
    turn.row.answer = { content, ...(toolCalls ? { toolCalls: toolCalls.map((c) => `${c.function.name}(${c.function.arguments})`) } : {}) };
    if (gold) turn.row.scores.answerF1 = tokenF1(content ?? '', gold.answer);
    if (action) {
      const match = matchAction(toolCalls, action);
      Object.assign(turn.row.scores, { nextActionTool: match.tool, nextActionExact: match.exact, nextActionArguments: match.arguments });
    }
  }

  /** Scores the judge's label; false (the turn's failure recorded, and counted as failed in the usage table) when it has none. */
  private scoreVerdict(turn: EvaluatedTurn, reply: ChatReply, calls: EvaluationCalls): boolean {
    const verdict = parseJudgeVerdict(reply.message.content);
    if (verdict) {
      turn.row.scores.answerJudge = verdict === 'CORRECT' ? 1 : 0;
      turn.row.answer = { ...turn.row.answer!, verdict };
      return true;
    }
    const shown = JSON.stringify(reply.message.content ?? null).slice(0, 120);
    calls.record(turn.row, 'judge', 'E_JUDGE_VERDICT', `the judge's reply has no single CORRECT or WRONG label: ${shown}`);
    turn.row.answer = { ...turn.row.answer!, error: 'E_JUDGE_VERDICT' };
    return false;
  }
}

/** A model's tokenizer, or o200k_base for models ctxbench has no tokenizer for (local models): an estimate. */
function encodingOf(model: string): string {
  try {
    return resolveEncoding(model);
  } catch {
    return 'o200k_base';
  }
}
