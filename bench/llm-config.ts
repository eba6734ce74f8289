import { llmConfigFromEnv, type LlmConfig } from '../core/index.js';
import type { CtxbenchConfig } from './config.js';

/**
 * The endpoint of the strategies' LLM-backed parts: the config file's `llm` section (its API key
 * from the environment), else CTXBENCH_LLM_BASE_URL / OPENAI_BASE_URL and their keys; undefined
 * when neither is set, and then every part runs offline.
 */
export function resolveLlmConfig(config: CtxbenchConfig, env: NodeJS.ProcessEnv = process.env): LlmConfig | undefined {
  if (!config.llm) return llmConfigFromEnv(env);
  const { apiKeyEnv, ...endpoint } = config.llm;
  const apiKey = (apiKeyEnv ? env[apiKeyEnv] : undefined) ?? env.CTXBENCH_LLM_API_KEY ?? env.OPENAI_API_KEY ?? 'not-needed';
  return { ...endpoint, apiKey };
}

/** One line saying which endpoint the run uses, or that the LLM-backed parts run offline. */
export function llmLine(llm: LlmConfig | undefined): string {
  return llm ? `LLM: ${llm.baseURL} (${llm.model}) for the router classifier and compaction summarizer` : 'LLM: none configured (CTXBENCH_LLM_BASE_URL or llm in the config file); LLM-backed parts run offline';
}
