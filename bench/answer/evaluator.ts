import {
  CachedChatClient,
  chatBody,
  ConfigError,
  judgeMessages,
  JUDGE_PROMPT_VERSION,
  LlmError,
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
  type EvaluationFailure,
  type LlmConfig,
  type PriceTable,
  type TokenCounter,
  type TurnRow,
} from '../../core/index.js';
import { byCodePoint } from '../runner/aggregate.js';
import { assertWithinBudget, dollars, priceOf, SpendGuard } from './spend.js';
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

/** Stops a call that --max-spend does not allow. */
class SpendLimitReached extends Error {}

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

  /** Takes one replayed turn; turns with nothing to score against are left alone. */
  observe(replayed: ReplayedTurn): void {
    const targets = targetsOf(replayed);
    if (!targets) return;
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
    const client = new CachedChatClient(endpoint, { ...this.options.client, cacheDir: this.options.cacheDir, concurrency: this.options.concurrency ?? 4 });
    const stop = new AbortController();
    const combined = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
    const guard = new SpendGuard(maxSpendUsd);
    const run = { sent: 0, fromCache: 0 };
    const failures: EvaluationFailure[] = [];
    let fatal: LlmError | undefined;
    for (const turn of this.turns) book.entry(turn.row);

    const call = async (request: ChatRequest, estimate: { input: number; output: number }): Promise<ChatReply> => {
      const price = priceOf(prices, request.model);
      const cached = this.cache.get(requestKey(request.model, chatBody(request)));
      const reserved = cached ? 0 : (dollars(price, { input: estimate.input, cached: 0, output: estimate.output }) ?? 0);
      if (!cached && !guard.reserve(reserved)) throw new SpendLimitReached();
      let reply: ChatReply;
      try {
        reply = await client.complete(request, combined);
      } catch (error) {
        guard.settle(reserved, 0);
        throw error;
      }
      guard.settle(reserved, reply.cached ? 0 : (dollars(price, billed(reply, estimate.input)) ?? 0));
      return reply;
    };
    const answers = new Map<string, Promise<ChatReply>>();
    const answerOf = (answer: AnswerRequest) => {
      const pending = answers.get(answer.key);
      if (pending) return pending.then((reply) => ({ ...reply, cached: true }));
      const sent = call(answer.request, { input: answer.inputTokens, output: answer.outputTokens });
      answers.set(answer.key, sent);
      return sent;
    };
    const counted = (reply: ChatReply) => {
      if (reply.cached) run.fromCache++;
      else run.sent++;
      return reply;
    };
    const failed = (turn: EvaluatedTurn, stage: 'answer' | 'judge', error: unknown) => {
      if (error instanceof SpendLimitReached || combined.aborted) return;
      if (!(error instanceof LlmError)) throw error;
      if (error.fatal) {
        fatal ??= error;
        stop.abort(error);
        return;
      }
      const { dataset, strategy, episode, turn: index } = turn.row;
      failures.push({ dataset, strategy, episode, turn: index, stage, code: error.code, message: error.message.split('\n')[0]! });
      turn.row.answer = { ...turn.row.answer, content: turn.row.answer?.content ?? null, error: error.code };
      book.failed(turn.row);
    };

    await Promise.all(
      this.turns.map(async (turn) => {
        let reply: ChatReply;
        try {
          reply = counted(await answerOf(turn.answer));
        } catch (error) {
          return failed(turn, 'answer', error);
        }
        this.scoreReply(turn, reply);
        book.add(turn.row, 'answer', billed(reply, turn.answer.inputTokens));
        const judge = judgeModel && turn.targets.gold ? this.judgeRequest(turn, reply.message.content ?? '') : undefined;
        if (!judge) return;
        try {
          const verdict = counted(await call(judge.request, { input: judge.inputTokens, output: JUDGE_MAX_TOKENS }));
          book.add(turn.row, 'judge', billed(verdict, judge.inputTokens));
          this.scoreVerdict(turn, verdict, failures);
        } catch (error) {
          failed(turn, 'judge', error);
        }
      }),
    );
    if (fatal) throw fatal;
    failures.sort((a, b) => byCodePoint(a.dataset, b.dataset) || byCodePoint(a.strategy, b.strategy) || byCodePoint(a.episode, b.episode) || a.turn - b.turn || byCodePoint(a.stage, b.stage));
    return { ...base, usage: book.entries(), run: { ...run, spentUsd: book.priced ? round(guard.spentUsd, 6) : null }, stoppedBySpendLimit: guard.stopped, failures };
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

  private scoreVerdict(turn: EvaluatedTurn, reply: ChatReply, failures: EvaluationFailure[]): void {
    const verdict = parseJudgeVerdict(reply.message.content);
    if (verdict) {
      turn.row.scores.answerJudge = verdict === 'CORRECT' ? 1 : 0;
      turn.row.answer = { ...turn.row.answer!, verdict };
      return;
    }
    const { dataset, strategy, episode, turn: index } = turn.row;
    const shown = JSON.stringify(reply.message.content ?? null).slice(0, 120);
    failures.push({ dataset, strategy, episode, turn: index, stage: 'judge', code: 'E_JUDGE_VERDICT', message: `the judge's reply has no single CORRECT or WRONG label: ${shown}` });
    turn.row.answer = { ...turn.row.answer!, error: 'E_JUDGE_VERDICT' };
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

/** What a reply was billed; counted prompt tokens stand in when the endpoint reports no usage. */
function billed(reply: ChatReply, countedInput: number): { input: number; cached: number; output: number } {
  const input = reply.usage.promptTokens > 0 ? reply.usage.promptTokens : countedInput;
  return { input, cached: Math.min(reply.usage.cachedTokens, input), output: reply.usage.completionTokens };
}
