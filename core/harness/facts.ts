import type { ChatMessage } from '../messages.js';
import type { FactProbe } from './episode.js';
import { containsNormalized, normalizeForMatch } from './match.js';

/** Leaf values of a parsed JSON value: strings and numbers, skipping booleans and values of one or two characters. */
export function leafValues(value: unknown): string[] {
  if (typeof value === 'string') return value.trim().length > 2 ? [value.trim()] : [];
  if (typeof value === 'number') return String(value).length > 2 ? [String(value)] : [];
  if (Array.isArray(value)) return value.flatMap(leafValues);
  if (value && typeof value === 'object') return Object.values(value).flatMap(leafValues);
  return [];
}

function visibleText(message: ChatMessage): string {
  const calls = (message.tool_calls ?? []).map((call) => `${call.function.name} ${call.function.arguments}`);
  return [message.content ?? '', ...calls].join('\n');
}

/**
 * Fact-retention probes from recorded tool calls: for each assistant message that calls tools,
 * the leaf values of its arguments that already appeared earlier in the episode must be in the
 * context of that turn. Keyed by message index; arguments that are not JSON count as one value.
 */
export function factProbesFromToolCalls(messages: readonly ChatMessage[]): Map<number, FactProbe> {
  const probes = new Map<number, FactProbe>();
  let earlier = ' ';
  messages.forEach((message, index) => {
    const facts = new Set<string>();
    for (const call of message.role === 'assistant' ? (message.tool_calls ?? []) : []) {
      for (const value of leafValues(parseArguments(call.function.arguments))) {
        if (containsNormalized(earlier, value)) facts.add(value);
      }
    }
    if (facts.size > 0) probes.set(index, { kind: 'fact', facts: [...facts] });
    earlier += normalizeForMatch(visibleText(message));
  });
  return probes;
}

function parseArguments(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return json;
  }
}
