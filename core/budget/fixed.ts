import type { ChatMessage } from '../messages.js';
import type { TokenCounter } from '../tokens/counter.js';
import { smartTruncate } from './truncate.js';

/** The parts of a context that are always sent: the system prompt and, when the turn poses one, the query. */
export interface FixedParts {
  system: string;
  /** The query as its own user message; undefined when the context has none. */
  query?: string;
}

function fixedMessages({ system, query }: FixedParts): ChatMessage[] {
  return [{ role: 'system', content: system }, ...(query === undefined ? [] : [{ role: 'user' as const, content: query }])];
}

/**
 * Shrinks the system prompt and the query so that their messages (with the reply priming) take at
 * most `budget - reserve` tokens, and returns them unchanged when they already do. The query keeps
 * at least half the room (its most recent sentences, key entities first); the system prompt keeps
 * its beginning. A strategy that budgets the rest of its context from what is left can then never
 * go over its budget, however long a message or a system prompt is.
 */
export function fitFixedParts(parts: FixedParts, budget: number, counter: TokenCounter, reserve = 0): FixedParts {
  const room = budget - reserve;
  if (counter.countMessages(fixedMessages(parts)) <= room) return parts;
  const overhead = counter.countMessages(fixedMessages({ system: '', ...(parts.query === undefined ? {} : { query: '' }) }));
  const available = Math.max(0, room - overhead);
  const systemTokens = counter.count(parts.system);
  if (parts.query === undefined) return { system: smartTruncate(parts.system, available, counter, 'start').text };
  const queryCap = Math.max(Math.floor(available / 2), available - systemTokens);
  const query = smartTruncate(parts.query, queryCap, counter, 'end');
  return { system: smartTruncate(parts.system, available - query.tokens, counter, 'start').text, query: query.text };
}
