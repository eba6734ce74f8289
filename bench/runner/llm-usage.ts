import type { LlmConfig, LlmPart, LlmPartRecord, LlmRecord, StrategyLlm } from '../../core/index.js';

/** Collects, per strategy and part, whether it ran on the LLM or offline and how its calls went. */
export class LlmUsage {
  private readonly parts = new Map<string, LlmPartRecord>();

  constructor(private readonly config: LlmConfig | undefined) {}

  /** What a strategy sees of the endpoint; its records are kept under its name. */
  forStrategy(strategy: string): StrategyLlm {
    const entry = (part: LlmPart) => {
      const key = `${strategy}\0${part}`;
      let record = this.parts.get(key);
      if (!record) {
        record = { strategy, part, mode: 'offline', calls: 0, fallbacks: 0 };
        this.parts.set(key, record);
      }
      return record;
    };
    return {
      ...(this.config ? { config: this.config } : {}),
      declare: (part, offlineReason) => {
        const record = entry(part);
        record.mode = offlineReason === undefined ? 'llm' : 'offline';
        if (offlineReason === undefined) delete record.reason;
        else record.reason = offlineReason;
      },
      called: (part, fallbackReason) => {
        const record = entry(part);
        record.calls++;
        if (fallbackReason !== undefined) {
          record.fallbacks++;
          record.lastFallbackReason = fallbackReason;
        }
      },
    };
  }

  /** The record for the result, parts in declaration order. */
  toRecord(): LlmRecord {
    return { endpoint: this.config?.baseURL ?? null, model: this.config?.model ?? null, parts: [...this.parts.values()] };
  }
}
