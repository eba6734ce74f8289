import type { ChatMessage } from '../messages.js';
import type { TokenCounter } from '../tokens/counter.js';
import { ExtractiveSummarizer, type Summarizer } from './summarizer.js';

/**
 * A running summary of the conversation units that have left the recent window. Units are folded
 * in once, in order, by a {@link Summarizer} that is given the summary so far, so the summary
 * changes only when the window moves.
 */
export class RunningSummary {
  private text = '';
  private folded = 0;
  private pending: Promise<unknown> = Promise.resolve();

  /**
   * @param maxTokens the summary's token cap
   * @param summarizer @default new ExtractiveSummarizer({ counter }): the tool-aware summarizer
   *   production's working memory compacts with (the customer's statements, the agent's actions,
   *   one line per tool-result field)
   */
  constructor(
    counter: TokenCounter,
    readonly maxTokens: number,
    private readonly summarizer: Summarizer = new ExtractiveSummarizer({ counter }),
  ) {}

  /** How many units the summary covers; the recent window must start at or after this. */
  get coveredUnits(): number {
    return this.folded;
  }

  /**
   * Folds `units[coveredUnits .. upTo)` into the summary and returns it. Calls made before an
   * earlier one has finished wait for it, so each unit is folded once, in order.
   */
  update(units: readonly ChatMessage[][], upTo: number): Promise<string> {
    const next = this.pending.then(async () => {
      if (upTo <= this.folded) return this.text;
      const evicted = units.slice(this.folded, upTo).flat();
      this.text = await this.summarizer.summarize(evicted, { previousSummary: this.text, maxTokens: this.maxTokens });
      this.folded = upTo;
      return this.text;
    });
    // A failed fold leaves the summary as it was; the next call starts from there.
    this.pending = next.catch(() => undefined);
    return next;
  }

  get current(): string {
    return this.text;
  }
}
