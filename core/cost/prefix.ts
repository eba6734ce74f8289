import { sameMessage, type ChatMessage, type ToolDefinition } from '../messages.js';
import type { TokenCounter } from '../tokens/counter.js';

/**
 * Prompt tokens that `current` shares as a prefix with `previous`: whole identical messages,
 * then the common token prefix of the first differing message's content when the roles match.
 */
export function sharedPrefixTokens(previous: readonly ChatMessage[] | undefined, current: readonly ChatMessage[], counter: TokenCounter): number {
  if (!previous) return 0;
  let shared = 0;
  for (let i = 0; i < Math.min(previous.length, current.length); i++) {
    const before = previous[i]!;
    const now = current[i]!;
    if (sameMessage(before, now)) {
      shared += counter.countMessage(now);
      continue;
    }
    if (before.role === now.role && before.name === now.name) {
      const a = counter.encodeRecent(before.content ?? '');
      const b = counter.encodeRecent(now.content ?? '');
      let common = 0;
      while (common < a.length && common < b.length && a[common] === b[common]) common++;
      // <|start|>, the role and <|message|> precede the content.
      shared += 2 + counter.count(now.role) + common;
    }
    break;
  }
  return shared;
}

/** One request as billed: its messages and the tool definitions sent with them. */
export interface BilledRequest {
  messages: readonly ChatMessage[];
  tools?: readonly ToolDefinition[];
}

const sameTool = (a: ToolDefinition, b: ToolDefinition) => a === b || JSON.stringify(a) === JSON.stringify(b);

/**
 * Prompt tokens that `current` shares as a prefix with `previous`, tools first: providers render
 * the tool definitions ahead of the messages (Anthropic documents the order tools, system,
 * messages; OpenAI caches "the list of tools" as part of the prefix). The tools the two requests
 * share from the start count; only when the tool lists are the same do the messages' shared
 * prefix count too, since a changed tool list changes everything after it.
 */
export function sharedRequestPrefixTokens(previous: BilledRequest | undefined, current: BilledRequest, counter: TokenCounter): number {
  if (!previous) return 0;
  const before = previous.tools ?? [];
  const now = current.tools ?? [];
  let common = 0;
  while (common < before.length && common < now.length && sameTool(before[common]!, now[common]!)) common++;
  if (common === before.length && common === now.length) return counter.countTools(now) + sharedPrefixTokens(previous.messages, current.messages, counter);
  return counter.countTools(now.slice(0, common));
}
