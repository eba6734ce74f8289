import { cachedPrefixTokens, callCost, type CacheRule, type ChatMessage, type ModelPrice, type TokenCounter, type ToolDefinition } from '../../core/index.js';
import { sharedPrefixTokens } from '../../core/cost/prefix.js';

/** One prompt as the provider sees it: tool definitions first, then the messages. */
export interface Request {
  messages: readonly ChatMessage[];
  tools?: readonly ToolDefinition[];
}

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
 * Prompt tokens two requests share as a prefix: identical leading tool definitions (all of them
 * identical before the messages count), then the shared prefix of the messages.
 */
export function sharedRequestPrefix(a: Request | undefined, b: Request, counter: TokenCounter): number {
  if (!a) return 0;
  const toolsA = a.tools ?? [];
  const toolsB = b.tools ?? [];
  let shared = 0;
  let same = 0;
  while (same < toolsA.length && same < toolsB.length && JSON.stringify(toolsA[same]) === JSON.stringify(toolsB[same])) same++;
  if (same > 0) shared += counter.countTools(toolsB.slice(0, same));
  if (same !== toolsA.length || same !== toolsB.length) return shared;
  return shared + sharedPrefixTokens(a.messages, b.messages, counter);
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
  const fromPrevious = withinLifetime ? sharedRequestPrefix(cache.previous!.request, request, counter) : 0;
  const fromTraffic = sharedRequestPrefix(cache.warm, request, counter);
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
