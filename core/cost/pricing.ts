import { ConfigError, didYouMean } from '../errors.js';

/** How a provider's prompt cache bills repeated prefixes. */
export interface CacheRule {
  /** Shortest prefix the cache serves. */
  minTokens: number;
  /** The cached prefix is rounded down to a multiple of this (after the minimum). */
  step: number;
  /** Whether uncached input is billed at the cache-write price (Anthropic) rather than the input price. */
  writesCost: boolean;
}

/** Prices of one model in USD per 1M tokens. */
export interface ModelPrice {
  model: string;
  provider: 'openai' | 'anthropic';
  input: number;
  cachedInput: number;
  output: number;
  /** Anthropic 5-minute cache write; absent for providers that cache for free. */
  cacheWrite?: number;
}

/** OpenAI caches prefixes of at least 1,024 tokens, in 128-token steps, at no write cost. */
export const OPENAI_CACHE: CacheRule = { minTokens: 1024, step: 128, writesCost: false };
/**
 * Anthropic caches up to an explicit breakpoint (min 1,024 tokens on Sonnet); ctxbench models a
 * breakpoint at the end of every prompt, so each turn writes what it adds and reads the rest.
 */
export const ANTHROPIC_CACHE: CacheRule = { minTokens: 1024, step: 1, writesCost: true };

/** The bundled price table (list prices, USD per 1M tokens). */
export const DEFAULT_PRICES: readonly ModelPrice[] = [
  { model: 'gpt-4o', provider: 'openai', input: 2.5, cachedInput: 1.25, output: 10 },
  { model: 'gpt-4o-mini', provider: 'openai', input: 0.15, cachedInput: 0.075, output: 0.6 },
  { model: 'gpt-4.1', provider: 'openai', input: 2, cachedInput: 0.5, output: 8 },
  { model: 'gpt-4.1-mini', provider: 'openai', input: 0.4, cachedInput: 0.1, output: 1.6 },
  { model: 'claude-sonnet-4', provider: 'anthropic', input: 3, cacheWrite: 3.75, cachedInput: 0.3, output: 15 },
  { model: 'claude-haiku-4-5', provider: 'anthropic', input: 1, cacheWrite: 1.25, cachedInput: 0.1, output: 5 },
];

/** A price table: the bundled prices plus user additions and overrides. */
export class PriceTable {
  private readonly prices = new Map<string, ModelPrice>();

  constructor(extra: readonly ModelPrice[] = []) {
    for (const price of [...DEFAULT_PRICES, ...extra]) this.prices.set(price.model, price);
  }

  /** The price of `model`; dated and suffixed names (gpt-4o-2024-08-06, claude-sonnet-4-5) match their family. */
  get(model: string): ModelPrice {
    const exact = this.prices.get(model);
    if (exact) return exact;
    const family = [...this.prices.keys()].filter((name) => model.startsWith(`${name}-`)).sort((a, b) => b.length - a.length)[0];
    if (family) return this.prices.get(family)!;
    throw new ConfigError(`no price for model "${model}"`, `${didYouMean(model, this.models())}; or add it to the pricing table`);
  }

  models(): string[] {
    return [...this.prices.keys()];
  }

  cacheRule(model: string): CacheRule {
    return this.get(model).provider === 'anthropic' ? ANTHROPIC_CACHE : OPENAI_CACHE;
  }
}

/** Tokens of a shared prefix that the provider's cache actually serves. */
export function cachedPrefixTokens(sharedPrefix: number, rule: CacheRule): number {
  if (sharedPrefix < rule.minTokens) return 0;
  return sharedPrefix - ((sharedPrefix - rule.minTokens) % rule.step);
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

/** The USD cost of one call. */
export function callCost(price: ModelPrice, tokens: CallTokens): number {
  const uncached = tokens.input - tokens.cached;
  const writePrice = price.cacheWrite ?? price.input;
  const written = tokens.cacheWrite ?? (price.provider === 'anthropic' ? uncached : 0);
  return ((uncached - written) * price.input + written * writePrice + tokens.cached * price.cachedInput + tokens.output * price.output) / 1_000_000;
}
