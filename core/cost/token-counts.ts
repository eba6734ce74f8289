import { InputError, describeValue } from '../errors.js';

/** What each count of a call is called by the API that received it. */
export interface TokenNames {
  input: string;
  cached: string;
  cacheWrite: string;
}

/**
 * Refuses token counts that no provider reports: each given count must be a whole number, zero or
 * more, and the cached plus cache-written tokens are part of the input, so never more than it.
 * Shared by `callCost` and `CostTracker.trackRequest`, each naming the counts as its callers do.
 */
export function checkTokenCounts(counts: Readonly<Record<string, number | undefined>>, names: TokenNames, hint: string): void {
  for (const [name, count] of Object.entries(counts)) {
    if (count === undefined) continue;
    if (!Number.isInteger(count) || count < 0) throw new InputError(`${name} = ${countText(count)} must be a whole number of tokens, zero or more`, hint);
  }
  const cached = counts[names.cached] ?? 0;
  const written = counts[names.cacheWrite] ?? 0;
  const input = counts[names.input] ?? 0;
  if (cached + written > input) {
    throw new InputError(
      `${names.cached} + ${names.cacheWrite} = ${cached + written} exceed ${names.input} = ${input}`,
      `${names.input} counts every prompt token, cached and cache-written ones included (add Anthropic's cache_read and cache_creation tokens to its input_tokens)`,
    );
  }
}

/** describeValue, with NaN and the infinities written as themselves (JSON writes them as null). */
function countText(count: unknown): string {
  return typeof count === 'number' && !Number.isFinite(count) ? `number ${String(count)}` : describeValue(count);
}
