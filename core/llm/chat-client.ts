import type OpenAI from 'openai';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { CtxbenchError } from '../errors.js';
import type { ChatMessage, ToolDefinition } from '../messages.js';
import { createLlmClient, type LlmConfig } from './client.js';
import { chatReplySchema, requestKey, ResponseCache, type CachedChatReply } from './response-cache.js';
import { backoffMs, ConcurrencyLimit, Deadline, retryAfterMs, sleep } from './retry.js';

/** One Chat Completions request; messages may carry ctxbench's extra fields (they are not sent). */
export interface ChatRequest {
  model: string;
  messages: readonly ChatMessage[];
  tools?: readonly ToolDefinition[];
  /** @default 0 */
  temperature?: number;
  max_tokens?: number;
  response_format?: { type: 'json_object' };
}

/** A reply, and whether it came from the on-disk cache (then it cost nothing this time). */
export interface ChatReply extends CachedChatReply {
  cached: boolean;
}

/** Options of {@link CachedChatClient}. */
export interface ChatClientOptions {
  /** Directory of the on-disk response cache; no cache when unset. */
  cacheDir?: string;
  /** Requests in flight at once. @default 4 */
  concurrency?: number;
  /** Retries after a 429, a 5xx, a dropped connection, a timed-out attempt or a malformed body. @default 4 */
  maxRetries?: number;
  /** Backoff before the first retry, doubled for each next one (jittered). @default 1000 */
  retryBaseMs?: number;
  /** Longest single wait, also for a server's Retry-After. @default 60000 */
  maxRetryWaitMs?: number;
}

/** Why a chat call failed. The first three concern the whole endpoint, the rest one request. */
export type LlmErrorCode = 'E_LLM_UNREACHABLE' | 'E_LLM_MODEL' | 'E_LLM_AUTH' | 'E_LLM_REJECTED' | 'E_LLM_FAILED' | 'E_LLM_TIMEOUT' | 'E_LLM_RESPONSE';

/** A chat call failed; `fatal` when no other request to the endpoint can succeed either. */
export class LlmError extends CtxbenchError {
  declare readonly code: LlmErrorCode;

  constructor(code: LlmErrorCode, message: string, hint: string) {
    super(code, message, hint);
  }

  get fatal(): boolean {
    return this.code === 'E_LLM_UNREACHABLE' || this.code === 'E_LLM_MODEL' || this.code === 'E_LLM_AUTH';
  }
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** A failed attempt: retried (after an optional server-given wait) or final. */
type Attempt = { retry: true; reason: string; waitMs?: number } | { retry: false; error: LlmError };

/** Default bound of a whole chat call, retries included: answers to long contexts take a while to generate. */
export const CHAT_TIMEOUT_MS = 120_000;

/**
 * Chat Completions against any OpenAI-compatible endpoint, made robust for evaluation runs: an
 * on-disk cache keyed by model + request hash (identical requests are sent once, also while in
 * flight), bounded concurrency, retries with jittered backoff on 429 / 5xx / dropped connections
 * honouring Retry-After, and `config.timeoutMs` bounding the whole call, retries included.
 */
export class CachedChatClient {
  readonly baseURL: string;
  private readonly client: OpenAI;
  private readonly cache: ResponseCache | undefined;
  private readonly limit: ConcurrencyLimit;
  private readonly inFlight = new Map<string, Promise<ChatReply>>();
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly retryBaseMs: number;
  private readonly maxRetryWaitMs: number;

  constructor(config: LlmConfig, options: ChatClientOptions = {}) {
    this.timeoutMs = config.timeoutMs ?? CHAT_TIMEOUT_MS;
    // Each attempt is bounded by this client's timeout too, not by the LLM parts' default of 10 s:
    // an answer that takes longer to generate would otherwise be cut off however long the call may take.
    this.client = createLlmClient({ ...config, timeoutMs: this.timeoutMs, maxRetries: 0 });
    this.baseURL = config.baseURL;
    this.cache = options.cacheDir === undefined ? undefined : new ResponseCache(options.cacheDir);
    this.limit = new ConcurrencyLimit(options.concurrency ?? 4);
    this.maxRetries = options.maxRetries ?? 4;
    this.retryBaseMs = options.retryBaseMs ?? 1000;
    this.maxRetryWaitMs = options.maxRetryWaitMs ?? 60_000;
  }

  /** The reply to `request`: from the cache when it is there, else from the endpoint (and then cached). */
  complete(request: ChatRequest, signal?: AbortSignal): Promise<ChatReply> {
    const body = chatBody(request);
    const key = requestKey(request.model, body);
    const cached = this.cache?.get(key);
    if (cached) return Promise.resolve({ ...cached, cached: true });
    const pending = this.inFlight.get(key);
    if (pending) return pending.then((reply) => ({ ...reply, cached: true }));
    const call = this.limit
      .run(() => this.send(body, signal))
      .then((reply) => {
        this.cache?.set(key, reply);
        return { ...reply, cached: false };
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, call);
    return call;
  }

  private async send(body: ReturnType<typeof chatBody>, signal?: AbortSignal): Promise<CachedChatReply> {
    signal?.throwIfAborted();
    const deadline = new Deadline(this.timeoutMs, signal);
    const started = Date.now();
    try {
      for (let attempt = 0; ; attempt++) {
        let outcome: Attempt;
        try {
          const remaining = Math.max(1, this.timeoutMs - (Date.now() - started));
          const response = await this.client.chat.completions.create(body as never, { signal: deadline.signal, timeout: remaining, maxRetries: 0 });
          const reply = replyOf(response);
          if (typeof reply !== 'string') return reply;
          outcome = { retry: true, reason: reply };
        } catch (error) {
          if (signal?.aborted) throw signal.reason;
          outcome = deadline.expired ? { retry: false, error: this.timedOut(body.model) } : this.classify(error, body.model);
        }
        if (!outcome.retry) throw outcome.error;
        if (attempt >= this.maxRetries) throw this.exhausted(body.model, outcome.reason, attempt + 1);
        const wait = Math.min(this.maxRetryWaitMs, outcome.waitMs ?? backoffMs(attempt, this.retryBaseMs, this.maxRetryWaitMs));
        try {
          await sleep(wait, deadline.signal);
        } catch {
          if (signal?.aborted) throw signal.reason;
          throw this.timedOut(body.model);
        }
      }
    } finally {
      deadline.dispose();
    }
  }

  private classify(error: unknown, model: string): Attempt {
    const where = `${this.baseURL} (model "${model}")`;
    if (error instanceof APIConnectionTimeoutError) return { retry: true, reason: 'an attempt timed out' };
    if (error instanceof APIUserAbortError) return { retry: true, reason: 'the attempt was aborted' };
    if (error instanceof APIConnectionError) {
      const code = causeCode(error) ?? (causeMessages(error).some((m) => /bad port/i.test(m)) ? 'a port fetch refuses to use' : undefined);
      if (code && (UNREACHABLE_CODES.has(code) || code.startsWith('a port'))) {
        return {
          retry: false,
          error: new LlmError('E_LLM_UNREACHABLE', `cannot reach the LLM endpoint ${this.baseURL}: ${code}`, 'start the server, or point CTXBENCH_LLM_BASE_URL (or OPENAI_BASE_URL, or answer.baseURL in the config file) at a running OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1 for Ollama'),
        };
      }
      return { retry: true, reason: `the connection failed (${code ?? error.message})` };
    }
    if (error instanceof APIError && error.status !== undefined) {
      const status = error.status;
      const detail = `HTTP ${status}: ${error.message}`;
      if (status === 429 || status === 408 || status === 409 || status >= 500) return { retry: true, reason: detail, waitMs: retryAfterMs(error.headers) };
      if (status === 401 || status === 403) return { retry: false, error: new LlmError('E_LLM_AUTH', `${where} refused the API key (${detail})`, 'set CTXBENCH_LLM_API_KEY or OPENAI_API_KEY to a valid key for this endpoint') };
      if (status === 404 || /model/i.test(error.message) && /not (?:found|exist)|does not exist|unknown|invalid model/i.test(error.message)) {
        return { retry: false, error: new LlmError('E_LLM_MODEL', `${where}: the model is not served there (${detail})`, `check the model name (GET ${this.baseURL}/models lists them; with Ollama, ollama pull ${model}) and that the base URL ends in /v1`) };
      }
      return { retry: false, error: new LlmError('E_LLM_REJECTED', `${where} rejected the request (${detail})`, 'the request itself is wrong for this endpoint (context too long for the model, tools unsupported, ...); see the message') };
    }
    if (error instanceof SyntaxError) return { retry: true, reason: `the body is not JSON (${error.message})` };
    throw error;
  }

  private exhausted(model: string, reason: string, attempts: number): LlmError {
    const code = reason.startsWith('the response') || reason.startsWith('the body') ? 'E_LLM_RESPONSE' : 'E_LLM_FAILED';
    return new LlmError(code, `${this.baseURL} (model "${model}") failed ${attempts} times; last: ${reason}`, 'the endpoint is overloaded or unwell: lower the concurrency, raise maxRetries, or try again later (replies so far are cached)');
  }

  private timedOut(model: string): LlmError {
    return new LlmError('E_LLM_TIMEOUT', `${this.baseURL} (model "${model}") did not answer within ${this.timeoutMs} ms, retries included`, 'raise the timeout (answer.timeoutMs in the config file), or lower the concurrency for a slow local server');
  }
}

/** The request body as sent: messages reduced to the API's fields, temperature 0 unless given. */
export function chatBody(request: ChatRequest) {
  return {
    model: request.model,
    messages: request.messages.map(apiMessage),
    ...(request.tools && request.tools.length > 0 ? { tools: request.tools } : {}),
    temperature: request.temperature ?? 0,
    ...(request.max_tokens !== undefined ? { max_tokens: request.max_tokens } : {}),
    ...(request.response_format ? { response_format: request.response_format } : {}),
  };
}

function apiMessage(message: ChatMessage): Record<string, unknown> {
  return {
    role: message.role,
    content: message.content,
    ...(message.name !== undefined ? { name: message.name } : {}),
    ...(message.tool_calls?.length ? { tool_calls: message.tool_calls } : {}),
    ...(message.tool_call_id !== undefined ? { tool_call_id: message.tool_call_id } : {}),
  };
}

/** The reply in ctxbench's shape, or what is wrong with the body (the part named: a bad usage is not a missing message). */
function replyOf(response: unknown): CachedChatReply | string {
  const body = response as { choices?: Array<{ message?: { content?: unknown; tool_calls?: unknown } }>; usage?: { prompt_tokens?: number; completion_tokens?: number; prompt_tokens_details?: { cached_tokens?: number } } };
  const message = body?.choices?.[0]?.message;
  if (!message) return 'the response has no choices[0].message';
  const parsed = chatReplySchema.safeParse({
    message: { content: message.content ?? null, ...(Array.isArray(message.tool_calls) && message.tool_calls.length > 0 ? { tool_calls: message.tool_calls } : {}) },
    usage: { promptTokens: body.usage?.prompt_tokens ?? 0, completionTokens: body.usage?.completion_tokens ?? 0, cachedTokens: body.usage?.prompt_tokens_details?.cached_tokens ?? 0 },
  });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path[0] === 'usage' ? `usage.${({ promptTokens: 'prompt_tokens', completionTokens: 'completion_tokens', cachedTokens: 'prompt_tokens_details.cached_tokens' } as Record<string, string>)[String(issue.path[1])] ?? String(issue.path[1])}` : `choices[0].${issue.path.join('.')}`;
  return `the response's ${field} is invalid (${issue.message})`;
}

/** The messages along an error's cause chain. */
function causeMessages(error: unknown): string[] {
  const messages: string[] = [];
  for (let current = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++) messages.push(String((current as { message?: unknown }).message ?? ''));
  return messages;
}

/** The system error code (ECONNREFUSED, ...) somewhere in an error's cause chain. */
function causeCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}
