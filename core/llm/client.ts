import OpenAI from 'openai';
import { ConfigError } from '../errors.js';
import { Deadline } from './retry.js';

/** Where an OpenAI-compatible endpoint is and how to call it. */
export interface LlmConfig {
  /** e.g. https://api.openai.com/v1 or http://127.0.0.1:8080/v1 */
  baseURL: string;
  apiKey: string;
  /** The chat or embedding model to use. */
  model: string;
  /**
   * Bound of one attempt, from sending the request to the last byte of the body: an endpoint that
   * sends headers and then stalls is cut off too. A whole call takes at most
   * (maxRetries + 1) x timeoutMs plus the backoff between attempts (about 21 s at the defaults).
   * @default 10000
   */
  timeoutMs?: number;
  /** Retries with backoff on 429, 5xx and timeouts (handled by the openai package). @default 1 */
  maxRetries?: number;
}

/**
 * The LLM configuration from the environment, or undefined when none is configured (then every
 * LLM-backed part falls back to its offline implementation). CTXBENCH_LLM_BASE_URL or
 * OPENAI_BASE_URL, CTXBENCH_LLM_API_KEY or OPENAI_API_KEY, CTXBENCH_LLM_MODEL.
 */
export function llmConfigFromEnv(env: NodeJS.ProcessEnv = process.env, defaultModel = 'gpt-4o-mini'): LlmConfig | undefined {
  const baseURL = env.CTXBENCH_LLM_BASE_URL ?? env.OPENAI_BASE_URL;
  const apiKey = env.CTXBENCH_LLM_API_KEY ?? env.OPENAI_API_KEY;
  if (!baseURL && !apiKey) return undefined;
  return { baseURL: baseURL ?? 'https://api.openai.com/v1', apiKey: apiKey ?? 'not-needed', model: env.CTXBENCH_LLM_MODEL ?? defaultModel };
}

/** Default bound of one attempt, body included. */
export const LLM_TIMEOUT_MS = 10_000;
/** Default retries after a failed attempt. */
export const LLM_MAX_RETRIES = 1;
/** The longest timeout Node's timers keep (2^31 - 1 ms, about 24.8 days); a longer one would fire at once. */
export const LLM_MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * fetch whose every attempt is aborted `timeoutMs` after it starts, body included: the openai
 * package's own timeout stops at the headers, so a stalled body would otherwise hang forever.
 * The deadline is not disposed when the body ends (nothing here sees that end): its unref'd timer
 * then aborts a finished request, which does nothing.
 */
function boundedFetch(timeoutMs: number): typeof fetch {
  return (input, init = {}) => fetch(input, { ...init, signal: new Deadline(timeoutMs, init.signal).signal });
}

/** An openai client for a configured endpoint. */
export function createLlmClient(config: LlmConfig): OpenAI {
  if (!config.baseURL || !/^https?:\/\//.test(config.baseURL)) {
    throw new ConfigError(`LLM baseURL "${config.baseURL}" is not an http(s) URL`, 'set it to the endpoint root, for example https://api.openai.com/v1');
  }
  const timeout = config.timeoutMs ?? LLM_TIMEOUT_MS;
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > LLM_MAX_TIMEOUT_MS) {
    throw new ConfigError(`LLM timeoutMs ${timeout} is not a whole number of milliseconds from 1 to ${LLM_MAX_TIMEOUT_MS}`, `set it to the bound of one attempt, for example ${LLM_TIMEOUT_MS}`);
  }
  return new OpenAI({ baseURL: config.baseURL, apiKey: config.apiKey, timeout, maxRetries: config.maxRetries ?? LLM_MAX_RETRIES, fetch: boundedFetch(timeout) });
}
