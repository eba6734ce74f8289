import { ExtractiveCompressor, type Compressor } from '../budget/compressor.js';
import { messageToText, type ChatMessage } from '../messages.js';
import type { TokenCounter } from '../tokens/counter.js';

/**
 * A running summary of the conversation units that have left the recent window. Append-only:
 * units are folded in once, in order, and the summary changes only when the window moves.
 */
export class RunningSummary {
  private text = '';
  private folded = 0;

  /**
   * @param maxTokens the summary's token cap
   * @param compressor @default new ExtractiveCompressor()
   */
  constructor(
    private readonly counter: TokenCounter,
    readonly maxTokens: number,
    private readonly compressor: Compressor = new ExtractiveCompressor(),
  ) {}

  /** How many units the summary covers; the recent window must start at or after this. */
  get coveredUnits(): number {
    return this.folded;
  }

  /** Folds `units[coveredUnits .. upTo)` into the summary and returns it. */
  update(units: readonly ChatMessage[][], upTo: number): string {
    if (upTo <= this.folded) return this.text;
    const evicted = units.slice(this.folded, upTo).flatMap((unit) => unit.map(messageToText)).join('\n');
    const merged = this.text ? `${this.text}\n${evicted}` : evicted;
    this.text = this.compressor.compress(merged, this.maxTokens, { counter: this.counter, keep: 'end' });
    this.folded = upTo;
    return this.text;
  }

  get current(): string {
    return this.text;
  }
}
