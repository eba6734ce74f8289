import { CACHE_RULES, type CacheRetention, type CacheRule, type Provider } from './cache-rules.js';
import { ConfigError, didYouMean } from '../errors.js';
import { checkedPriceList } from './price-schema.js';
import { checkTokenCounts } from './token-counts.js';

/** Prices of one model in USD per 1M tokens, with the limits that bound what can be sent to it. */
export interface ModelPrice {
  model: string;
  provider: Provider;
  input: number;
  /** Price of a prompt token read from the cache. */
  cachedInput: number;
  output: number;
  /** Price of a token written to the default (5-minute) cache, where writes cost (Anthropic). */
  cacheWrite?: number;
  /** Price of a token written to the extended (1-hour) cache. @default 2 x input on Anthropic models */
  cacheWriteExtended?: number;
  /** Most tokens a call may hold, prompt and reply together. */
  contextWindow?: number;
  /** The model's own minimum cacheable prefix, where it differs from its provider's rule. */
  minCacheTokens?: number;
}

/** When the bundled prices were last reviewed against the providers' published price pages. */
export const PRICES_REVIEWED = '2026-11-30';

/**
 * The bundled price table (list prices, USD per 1M tokens; context windows in tokens). Frozen,
 * like every price a PriceTable hands out: a price is changed with a new table's entry, never in place.
 */
export const DEFAULT_PRICES: readonly Readonly<ModelPrice>[] = Object.freeze(bundledPrices().map((price) => Object.freeze(price)));

function bundledPrices(): ModelPrice[] {
  return [
  { model: 'gpt-4o', provider: 'openai', input: 2.5, cachedInput: 1.25, output: 10, contextWindow: 128_000 },
  { model: 'gpt-4o-mini', provider: 'openai', input: 0.15, cachedInput: 0.075, output: 0.6, contextWindow: 128_000 },
  { model: 'gpt-4.1', provider: 'openai', input: 2, cachedInput: 0.5, output: 8, contextWindow: 1_047_576 },
  { model: 'gpt-4.1-mini', provider: 'openai', input: 0.4, cachedInput: 0.1, output: 1.6, contextWindow: 1_047_576 },
  { model: 'gpt-4.1-nano', provider: 'openai', input: 0.1, cachedInput: 0.025, output: 0.4, contextWindow: 1_047_576 },
  { model: 'gpt-5', provider: 'openai', input: 1.25, cachedInput: 0.125, output: 10, contextWindow: 400_000 },
  { model: 'gpt-5-mini', provider: 'openai', input: 0.25, cachedInput: 0.025, output: 2, contextWindow: 400_000 },
  { model: 'gpt-5-nano', provider: 'openai', input: 0.05, cachedInput: 0.005, output: 0.4, contextWindow: 400_000 },
  { model: 'claude-sonnet-4', provider: 'anthropic', input: 3, cacheWrite: 3.75, cacheWriteExtended: 6, cachedInput: 0.3, output: 15, contextWindow: 200_000, minCacheTokens: 1024 },
  { model: 'claude-sonnet-4-5', provider: 'anthropic', input: 3, cacheWrite: 3.75, cacheWriteExtended: 6, cachedInput: 0.3, output: 15, contextWindow: 200_000, minCacheTokens: 1024 },
  { model: 'claude-haiku-4-5', provider: 'anthropic', input: 1, cacheWrite: 1.25, cacheWriteExtended: 2, cachedInput: 0.1, output: 5, contextWindow: 200_000, minCacheTokens: 4096 },
  { model: 'gemini-2.5-flash', provider: 'google', input: 0.3, cachedInput: 0.03, output: 2.5, contextWindow: 1_048_576, minCacheTokens: 1024 },
  { model: 'gemini-2.5-pro', provider: 'google', input: 1.25, cachedInput: 0.125, output: 10, contextWindow: 1_048_576, minCacheTokens: 2048 },
  ];
}

/** A dated snapshot suffix: -YYYY-MM-DD (OpenAI), -YYYYMMDD (Anthropic) or OpenAI's older -MMDD. */
const SNAPSHOT_SUFFIX = /-(?:\d{4}-\d{2}-\d{2}|\d{8}|\d{4})$/;

/** A price table: the bundled prices plus user additions and overrides. */
export class PriceTable {
  private readonly prices = new Map<string, ModelPrice>();

  /**
   * `extra` adds or overrides models, each at most once, checked with the config file's rules
   * (ConfigError naming the entry, key, value and fix); the table keeps frozen copies.
   */
  constructor(extra: readonly ModelPrice[] = []) {
    for (const price of [...DEFAULT_PRICES, ...checkedPriceList(extra)]) this.prices.set(price.model, price);
  }

  /**
   * The price of `model`, or of the model a dated snapshot name stands for (gpt-4o-2024-08-06,
   * gpt-4-0613, claude-sonnet-4-5-20250929). Any other suffix names another model, never priced
   * as its prefix: gpt-4o-minii is refused, not billed as gpt-4o.
   */
  get(model: string): ModelPrice {
    const price = this.prices.get(model) ?? this.prices.get(model.replace(SNAPSHOT_SUFFIX, ''));
    if (price) return price;
    throw new ConfigError(
      `no price for model "${model}"`,
      `${didYouMean(model, this.models())}; a dated snapshot (gpt-4o-2024-08-06, claude-sonnet-4-5-20250929) takes its model's price, any other model needs its own price entry (the config file's "prices")`,
    );
  }

  models(): string[] {
    return [...this.prices.keys()];
  }

  /** The cache rule that bills `model`'s calls: its provider's, with the model's own minimum prefix. */
  cacheRule(model: string, retention: CacheRetention = 'default'): CacheRule {
    const price = this.get(model);
    const rule = CACHE_RULES[price.provider][retention];
    return price.minCacheTokens === undefined ? rule : { ...rule, minTokens: price.minCacheTokens };
  }

  /** `model`'s price with the cache-write price of the chosen retention. */
  priceFor(model: string, retention: CacheRetention = 'default'): ModelPrice {
    const price = this.get(model);
    if (retention === 'default' || price.provider !== 'anthropic') return price;
    return { ...price, cacheWrite: price.cacheWriteExtended ?? price.input * 2 };
  }
}

/** Tokens of one call; `input` counts every prompt token, cached and cache-written ones included. */
export interface CallTokens {
  input: number;
  /** Prompt tokens read from the provider's cache. */
  cached: number;
  output: number;
  /**
   * Prompt tokens written to the cache (Anthropic), billed at `cacheWrite`; the rest of the
   * uncached input is billed at `input`. @default every uncached token on Anthropic models
   * (ctxbench's breakpoint-at-the-end model), none on others
   */
  cacheWrite?: number;
}

/**
 * The USD cost of one call. Refuses (InputError) counts that are negative, fractional or not
 * finite, and cached plus cache-written tokens above `input`.
 */
export function callCost(price: ModelPrice, tokens: CallTokens): number {
  checkTokenCounts(
    { input: tokens.input, cached: tokens.cached, cacheWrite: tokens.cacheWrite, output: tokens.output },
    { input: 'input', cached: 'cached', cacheWrite: 'cacheWrite' },
    'pass the counts the provider reported (callCost(price, { input, cached, output }))',
  );
  const uncached = tokens.input - tokens.cached;
  const writePrice = price.cacheWrite ?? price.input;
  const written = tokens.cacheWrite ?? (price.provider === 'anthropic' ? uncached : 0);
  return ((uncached - written) * price.input + written * writePrice + tokens.cached * price.cachedInput + tokens.output * price.output) / 1_000_000;
}
