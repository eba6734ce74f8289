import { callCost, ConfigError, type ModelPrice, type PriceTable } from '../../core/index.js';

/** Tokens of one call, as billed. */
export interface CallTokens {
  input: number;
  cached: number;
  output: number;
}

/** The list price of a model, or undefined when the price table does not know it. */
export function priceOf(prices: PriceTable, model: string): ModelPrice | undefined {
  try {
    return prices.get(model);
  } catch {
    return undefined;
  }
}

/** Dollars of a call, or null without a price. */
export function dollars(price: ModelPrice | undefined, tokens: CallTokens): number | null {
  return price ? callCost(price, tokens) : null;
}

/**
 * Holds an evaluation to --max-spend while it runs: a call reserves its estimate before it is
 * sent and settles at its billed cost when it returns; a call that would take the total past the
 * limit is not sent.
 */
export class SpendGuard {
  private committed = 0;
  private spent = 0;
  stopped = false;

  constructor(private readonly maxUsd: number | undefined) {}

  /** Reserves `estimateUsd`; false (and stopped) when that would exceed the limit. */
  reserve(estimateUsd: number): boolean {
    if (this.maxUsd !== undefined && this.committed + estimateUsd > this.maxUsd) {
      this.stopped = true;
      return false;
    }
    this.committed += estimateUsd;
    return true;
  }

  /** Replaces a reservation by the billed cost (0 when the call failed before being billed). */
  settle(estimateUsd: number, billedUsd: number): void {
    this.committed += billedUsd - estimateUsd;
    this.spent += billedUsd;
  }

  get spentUsd(): number {
    return this.spent;
  }
}

/** Refuses to start when the estimate already exceeds the limit, or when the limit cannot be checked. */
export function assertWithinBudget(estimateUsd: number | null, maxUsd: number | undefined, unpriced: string[]): void {
  if (maxUsd === undefined) return;
  if (estimateUsd === null) {
    throw new ConfigError(`--max-spend cannot be held: no price for ${unpriced.map((m) => `"${m}"`).join(' and ')}`, 'add the model under prices in ctxbench.config (USD per 1M tokens; 0 for a local server), or leave out --max-spend');
  }
  if (estimateUsd > maxUsd) {
    throw new ConfigError(
      `the answer evaluation is estimated at $${estimateUsd.toFixed(4)}, more than --max-spend $${maxUsd}`,
      'raise --max-spend, or evaluate fewer turns (--limit, -d, -s); --dry-run prints the estimate without sending anything',
    );
  }
}
