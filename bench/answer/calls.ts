import {
  CachedChatClient,
  chatBody,
  LlmError,
  requestKey,
  round,
  sharedCounter,
  type ChatClientOptions,
  type ChatReply,
  type ChatRequest,
  type EvaluationFailure,
  type LlmConfig,
  type PriceTable,
  type ResponseCache,
  type TurnRow,
} from '../../core/index.js';
import { byCodePoint } from '../runner/aggregate.js';
import { dollars, priceOf, SpendGuard, type CallTokens } from './spend.js';

/** Stops a call that --max-spend does not allow. */
class SpendLimitReached extends Error {}

/** Settings of {@link EvaluationCalls}. */
export interface EvaluationCallsOptions {
  endpoint: LlmConfig;
  cache: ResponseCache;
  prices: PriceTable;
  concurrency: number;
  maxSpendUsd?: number;
  client?: Omit<ChatClientOptions, 'cacheDir' | 'concurrency'>;
}

/**
 * The calls of one evaluation: sent through the cached client, held to --max-spend, counted (sent
 * or from the cache), and all stopped by the first error that concerns the whole endpoint.
 */
export class EvaluationCalls {
  private readonly client: CachedChatClient;
  private readonly guard: SpendGuard;
  private readonly stop = new AbortController();
  private readonly signal: AbortSignal;
  private readonly shared = new Map<string, Promise<ChatReply>>();
  private readonly counts = { sent: 0, fromCache: 0 };
  private readonly failures: EvaluationFailure[] = [];
  private fatal: LlmError | undefined;
  /** Calls being sent, and those waiting for a slot: a call reserves against --max-spend only once it has one. */
  private sending = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly options: EvaluationCallsOptions,
    signal?: AbortSignal,
  ) {
    this.client = new CachedChatClient(options.endpoint, { ...options.client, cacheDir: options.cache.dir, concurrency: options.concurrency });
    this.guard = new SpendGuard(options.maxSpendUsd);
    this.signal = signal ? AbortSignal.any([signal, this.stop.signal]) : this.stop.signal;
  }

  /** One call; `estimate` is what it is expected to bill, reserved against --max-spend until it returns. */
  async send(request: ChatRequest, estimate: CallTokens): Promise<ChatReply> {
    return this.counted(await this.call(request, estimate));
  }

  /** One call per `key` however many turns ask for it; the later ones get the reply as cached. */
  async sendOnce(key: string, request: ChatRequest, estimate: CallTokens): Promise<ChatReply> {
    const pending = this.shared.get(key);
    if (pending) return this.counted({ ...(await pending), cached: true });
    const call = this.call(request, estimate);
    this.shared.set(key, call);
    return this.counted(await call);
  }

  /**
   * Takes a failed call of a turn: true when it is that turn's failure (recorded), false when the
   * evaluation is stopping anyway (spend limit, interruption, a fatal endpoint error).
   * @throws what is not a failed call
   */
  failed(row: TurnRow, stage: EvaluationFailure['stage'], error: unknown): boolean {
    if (error instanceof SpendLimitReached || this.signal.aborted) return false;
    if (!(error instanceof LlmError)) throw error;
    if (error.fatal) {
      this.fatal ??= error;
      this.stop.abort(error);
      return false;
    }
    this.record(row, stage, error.code, error.message.split('\n')[0]!);
    return true;
  }

  /** Records a turn's failure that is not a failed call (a judge reply without a label). */
  record(row: TurnRow, stage: EvaluationFailure['stage'], code: string, message: string): void {
    this.failures.push({ dataset: row.dataset, strategy: row.strategy, episode: row.episode, turn: row.turn, stage, code, message });
  }

  /** What the calls came to. @throws the fatal endpoint error that stopped them */
  summary(priced: boolean): { run: { sent: number; fromCache: number; spentUsd: number | null }; stoppedBySpendLimit: boolean; failures: EvaluationFailure[] } {
    if (this.fatal) throw this.fatal;
    const failures = [...this.failures].sort((a, b) => byCodePoint(a.dataset, b.dataset) || byCodePoint(a.strategy, b.strategy) || byCodePoint(a.episode, b.episode) || a.turn - b.turn || byCodePoint(a.stage, b.stage));
    return { run: { ...this.counts, spentUsd: priced ? round(this.guard.spentUsd, 6) : null }, stoppedBySpendLimit: this.guard.stopped, failures };
  }

  /**
   * A call reserves its estimate against --max-spend when it is about to be sent, not when it is
   * queued: reserving every turn's estimate up front let queued calls go out after the calls
   * before them had billed more than estimated (152 calls sent against a $1 limit, $114,000
   * billed). So the spend of the calls that returned is known before each new one goes out, and
   * the overshoot is at most what the calls in flight bill beyond their estimates.
   */
  private async call(request: ChatRequest, estimate: CallTokens): Promise<ChatReply> {
    const price = priceOf(this.options.prices, request.model);
    if (this.options.cache.get(requestKey(request.model, chatBody(request))) !== undefined) return this.client.complete(request, this.signal);
    await this.slot();
    try {
      const reserved = dollars(price, estimate) ?? 0;
      if (!this.guard.reserve(reserved)) throw new SpendLimitReached();
      // Counted when it goes out: a call the endpoint answered with an error (or a body it could not use) was still sent, and may be billed.
      this.counts.sent++;
      let reply: ChatReply;
      try {
        reply = await this.client.complete(request, this.signal);
      } catch (error) {
        this.guard.settle(reserved, 0);
        throw error;
      }
      // The client answers from its cache a request an identical one cached while this one waited: not sent after all.
      if (reply.cached) this.counts.sent--;
      this.guard.settle(reserved, reply.cached ? 0 : (dollars(price, billed(reply, estimate.input)) ?? 0));
      return reply;
    } finally {
      this.release();
    }
  }

  /** Waits for one of the `concurrency` sending slots. */
  private async slot(): Promise<void> {
    if (this.sending < this.options.concurrency) {
      this.sending++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** Hands the slot to the next waiting call, or frees it. */
  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.sending--;
  }

  /** Counts a reply served from the cache (or shared with an identical request); sent calls are counted as they go out. */
  private counted(reply: ChatReply): ChatReply {
    if (reply.cached) this.counts.fromCache++;
    return reply;
  }
}

/**
 * What a reply was billed; when the endpoint reports no usage, counted tokens stand in: the prompt
 * as counted before sending, the reply's text and tool calls counted with o200k_base (a reply
 * without usage used to be billed 0 output tokens).
 */
export function billed(reply: ChatReply, countedInput: number): CallTokens {
  const input = reply.usage.promptTokens > 0 ? reply.usage.promptTokens : countedInput;
  const output = reply.usage.completionTokens > 0 ? reply.usage.completionTokens : countedOutput(reply);
  return { input, cached: Math.min(reply.usage.cachedTokens, input), output };
}

function countedOutput(reply: ChatReply): number {
  const counter = sharedCounter('o200k_base');
  const calls = reply.message.tool_calls ?? [];
  return counter.count(reply.message.content ?? '') + calls.reduce((sum, call) => sum + counter.count(call.function.name) + counter.count(call.function.arguments), 0);
}
