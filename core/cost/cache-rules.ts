/** How long a provider keeps a cached prefix: its default, or the longer retention it sells. */
export type CacheRetention = 'default' | 'extended';
export const CACHE_RETENTIONS: readonly CacheRetention[] = ['default', 'extended'];

/** The providers whose caches ctxbench models. */
export type Provider = 'openai' | 'anthropic' | 'google';
export const PROVIDERS: readonly Provider[] = ['openai', 'anthropic', 'google'];

/** How a provider's prompt cache serves and bills repeated prefixes; data, one per provider and retention. */
export interface CacheRule {
  /** Shortest prefix the cache serves (a model's price entry may raise it). */
  minTokens: number;
  /** The cached prefix is rounded down to a multiple of this (after the minimum). */
  step: number;
  /** Whether uncached input is written to the cache at the write price (Anthropic) rather than billed as plain input. */
  writesCost: boolean;
  /** Seconds a prefix stays cached after the last call that used it. */
  lifetimeSeconds: number;
  /** Most cache breakpoints a request may set, where the provider limits them. */
  breakpoints?: number;
  /** Where the numbers come from, for reports. */
  source: string;
}

/**
 * The providers' published cache rules (reviewed 2026-11-30):
 * - OpenAI caches automatically from 1,024 tokens in 128-token steps; a prefix stays in memory
 *   5-10 minutes idle (ctxbench takes the lower 5), or 24 hours with extended retention; the
 *   read discount is a model's `cachedInput` price (gpt-4o 50%, gpt-4.1 75%, gpt-5 family 90%).
 * - Anthropic caches up to explicit breakpoints (at most 4): writes cost 1.25x input for the
 *   5-minute cache or 2x for the 1-hour cache, reads 0.1x; the minimum prefix depends on the model.
 *   ctxbench puts a breakpoint at the end of every prompt, so each call writes what it adds.
 * - Gemini 2.5 caches implicitly from 1,024 tokens (Flash) with no write cost; Google states no
 *   lifetime, so ctxbench assumes 5 minutes, as for OpenAI.
 */
export const CACHE_RULES: Readonly<Record<Provider, Readonly<Record<CacheRetention, CacheRule>>>> = {
  openai: {
    default: { minTokens: 1024, step: 128, writesCost: false, lifetimeSeconds: 300, source: 'OpenAI prompt caching: >= 1,024 tokens, 128-token steps, 5-10 min idle (5 assumed)' },
    extended: { minTokens: 1024, step: 128, writesCost: false, lifetimeSeconds: 86_400, source: 'OpenAI extended prompt cache retention: 24 h' },
  },
  anthropic: {
    default: { minTokens: 1024, step: 1, writesCost: true, lifetimeSeconds: 300, breakpoints: 4, source: 'Anthropic prompt caching: 5-min cache, writes 1.25x, reads 0.1x, <= 4 breakpoints' },
    extended: { minTokens: 1024, step: 1, writesCost: true, lifetimeSeconds: 3600, breakpoints: 4, source: 'Anthropic prompt caching: 1-hour cache, writes 2x, reads 0.1x, <= 4 breakpoints' },
  },
  google: {
    default: { minTokens: 1024, step: 1, writesCost: false, lifetimeSeconds: 300, source: 'Gemini 2.5 implicit caching: >= 1,024 tokens (Flash), no write cost, lifetime unstated (5 min assumed)' },
    extended: { minTokens: 1024, step: 1, writesCost: false, lifetimeSeconds: 300, source: 'Gemini implicit caching has no extended retention; same as default' },
  },
};

/** OpenAI's default rule. */
export const OPENAI_CACHE = CACHE_RULES.openai.default;
/** Anthropic's 5-minute rule. */
export const ANTHROPIC_CACHE = CACHE_RULES.anthropic.default;

/** Tokens of a shared prefix that the provider's cache actually serves. */
export function cachedPrefixTokens(sharedPrefix: number, rule: Pick<CacheRule, 'minTokens' | 'step'>): number {
  if (sharedPrefix < rule.minTokens) return 0;
  return sharedPrefix - ((sharedPrefix - rule.minTokens) % rule.step);
}
