import type { ChatMessage } from '../messages.js';
import type { TokenCounter } from '../tokens/counter.js';

const sameMessage = (a: ChatMessage, b: ChatMessage) =>
  a.role === b.role && a.content === b.content && a.name === b.name && a.tool_call_id === b.tool_call_id && JSON.stringify(a.tool_calls) === JSON.stringify(b.tool_calls);

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
      const a = counter.encode(before.content ?? '');
      const b = counter.encode(now.content ?? '');
      let common = 0;
      while (common < a.length && common < b.length && a[common] === b[common]) common++;
      // <|start|>, the role and <|message|> precede the content.
      shared += 2 + counter.count(now.role) + common;
    }
    break;
  }
  return shared;
}
