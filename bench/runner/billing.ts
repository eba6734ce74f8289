import { cachedPrefixTokens, callCost, sharedRequestPrefixTokens, type BilledRequest, type CacheRule, type ModelPrice, type TokenCounter } from '../../core/index.js';

/** One prompt as the provider sees it: tool definitions first, then the messages. */
export type Request = BilledRequest;

/** What the provider's cache can hold for a call: the previous call of the conversation, and prefixes kept warm by other conversations. */
export interface CacheState {
  previous?: { request: Request; at: number };
  /** A call of another conversation whose prefix, identical across conversations, traffic keeps warm. */
  warm?: Request;
}

/** The bill of one call. */
export interface CallBill {
  inputTokens: number;
  cachedTokens: number;
  costUsd: number;
  outputCostUsd: number;
  overWindow: boolean;
}

/** Everything that prices a call. */
export interface Billing {
  counter: TokenCounter;
  price: ModelPrice;
  rule: CacheRule;
}

/**
 * Bills a call: the prefix it shares with the previous call of its conversation is cached when
 * that call came within the cache lifetime; the prefix it shares with the warm cross-conversation
 * request is cached too; the provider's minimum and step apply to the longer of the two.
 */
export function billCall(billing: Billing, request: Request, outputTokens: number, at: number, cache: CacheState): CallBill {
  const { counter, price, rule } = billing;
  const inputTokens = counter.countRequest(request.messages, request.tools);
  const withinLifetime = cache.previous !== undefined && at - cache.previous.at <= rule.lifetimeSeconds;
  const fromPrevious = withinLifetime ? sharedRequestPrefixTokens(cache.previous!.request, request, counter) : 0;
  const fromTraffic = sharedRequestPrefixTokens(cache.warm, request, counter);
  const cachedTokens = Math.min(inputTokens, cachedPrefixTokens(Math.max(fromPrevious, fromTraffic), rule));
  const costUsd = callCost(price, { input: inputTokens, cached: cachedTokens, output: outputTokens });
  const outputCostUsd = (outputTokens * price.output) / 1_000_000;
  const overWindow = price.contextWindow !== undefined && inputTokens + outputTokens > price.contextWindow;
  return { inputTokens, cachedTokens, costUsd, outputCostUsd, overWindow };
}

/** Calls a month that send the cross-conversation prefix, per cache lifetime: at least one keeps it warm. */
export function callsPerLifetime(conversationsPerMonth: number, callsPerConversation: number, lifetimeSeconds: number): number {
  return ((conversationsPerMonth * callsPerConversation) / (30 * 24 * 3600)) * lifetimeSeconds;
}
