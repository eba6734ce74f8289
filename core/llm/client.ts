import OpenAI from 'openai';
import { ConfigError } from '../errors.js';

/** Where an OpenAI-compatible endpoint is and how to call it. */
export interface LlmConfig {
  /** e.g. https://api.openai.com/v1 or http://127.0.0.1:8080/v1 */
  baseURL: string;
  apiKey: string;
  /** The chat or embedding model to use. */
  model: string;
  /** @default 30000 */
  timeoutMs?: number;
  /** Retries with backoff on 429, 5xx and timeouts (handled by the openai package). @default 2 */
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

/** An openai client for a configured endpoint. */
export function createLlmClient(config: LlmConfig): OpenAI {
  if (!config.baseURL || !/^https?:\/\//.test(config.baseURL)) {
    throw new ConfigError(`LLM baseURL "${config.baseURL}" is not an http(s) URL`, 'set it to the endpoint root, for example https://api.openai.com/v1');
  }
  return new OpenAI({ baseURL: config.baseURL, apiKey: config.apiKey, timeout: config.timeoutMs ?? 30_000, maxRetries: config.maxRetries ?? 2 });
}
