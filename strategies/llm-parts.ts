import { ExtractiveSummarizer, LlmIntentClassifier, LlmSummarizer, type IntentClassifier, type IntentProfile, type StrategyLlm, type Summarizer, type TokenCounter } from '../core/index.js';

/** Why a part runs offline when no endpoint is configured. */
export const NO_ENDPOINT = 'no LLM endpoint configured (set CTXBENCH_LLM_BASE_URL or OPENAI_BASE_URL, or llm in the config file)';

/** The router's classifier: the LLM classifier falling back to the offline one when an endpoint is configured, else the offline one. */
export function routerClassifier(llm: StrategyLlm | undefined, profile: IntentProfile, offline: IntentClassifier): IntentClassifier {
  if (!llm?.config) return offline;
  const classifier = new LlmIntentClassifier({ llm: llm.config, profile, fallback: offline });
  return {
    name: classifier.name,
    labels: classifier.labels,
    classify: async (text) => {
      const classification = await classifier.classify(text);
      llm.called('classifier', classification.fallback?.reason);
      return classification;
    },
  };
}

/** The summarizer of working-memory compactions: the LLM one (falling back to the extractive one) when an endpoint is configured. */
export function compactionSummarizer(llm: StrategyLlm | undefined, counter: TokenCounter): Summarizer {
  if (!llm?.config) return new ExtractiveSummarizer({ counter });
  const summarizer = new LlmSummarizer(llm.config, { counter });
  return {
    summarize: async (messages, options) => {
      const summary = await summarizer.summarize(messages, options);
      llm.called('summarizer', summarizer.lastFallbackReason);
      return summary;
    },
  };
}

/** Declares each part as LLM-backed when an endpoint is configured and `online` holds it, else offline with its reason. */
export function declareParts(llm: StrategyLlm | undefined, parts: Partial<Record<'summarizer' | 'extractor' | 'classifier' | 'embedder', string | null>>): void {
  for (const [part, offlineReason] of Object.entries(parts) as Array<['summarizer' | 'extractor' | 'classifier' | 'embedder', string | null]>) {
    if (offlineReason !== null) llm?.declare(part, offlineReason);
    else if (llm?.config) llm.declare(part);
    else llm?.declare(part, NO_ENDPOINT);
  }
}
