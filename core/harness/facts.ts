import type { ChatMessage } from '../messages.js';
import type { Fact, FactOrigin, FactProbe } from './episode.js';
import { containsNormalized, normalizeForMatch } from './match.js';

/** Values of at most this many characters (normalized) are too common to count as any matching word. */
export const SHORT_FACT_CHARS = 4;
/** Words of the origin message kept on each side of a short value, as the context it must stand in. */
const SNIPPET_WORDS = 2;

/** Leaf values of a parsed JSON value with their keys: strings and numbers, skipping booleans and values of one or two characters. */
export function leafValues(value: unknown, key = ''): Array<{ key: string; value: string }> {
  if (typeof value === 'string') return value.trim().length > 2 ? [{ key, value: value.trim() }] : [];
  if (typeof value === 'number') return String(value).length > 2 ? [{ key, value: String(value) }] : [];
  if (Array.isArray(value)) return value.flatMap((item) => leafValues(item, key));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => leafValues(v, k));
  return [];
}

function visibleText(message: ChatMessage): string {
  const calls = (message.tool_calls ?? []).map((call) => `${call.function.name} ${call.function.arguments}`);
  return [message.content ?? '', ...calls].join('\n');
}

/** The origin of a fact a message of this role states. */
export const ORIGIN_OF_ROLE: Partial<Record<ChatMessage['role'], FactOrigin>> = { user: 'customer', tool: 'tool', assistant: 'agent' };

/** The normalized words around the first occurrence of `value` in `normalizedText`. */
function snippetAround(normalizedText: string, value: string): string | undefined {
  const needle = normalizeForMatch(value);
  const at = normalizedText.indexOf(needle);
  if (at < 0) return undefined;
  const before = normalizedText.slice(0, at).trim().split(' ').filter(Boolean).slice(-SNIPPET_WORDS);
  const after = normalizedText.slice(at + needle.length).trim().split(' ').filter(Boolean).slice(0, SNIPPET_WORDS);
  return [...before, needle.trim(), ...after].join(' ');
}

/**
 * Fact-retention probes from recorded tool calls: for each assistant message that calls tools,
 * the leaf values of its arguments that the agent could know by then must be in the context of
 * that turn. Each fact records its origin: `record` when the customer record or the knowledge
 * (`available`, known from the start) holds it, else the role of the earlier message that first
 * stated it (`customer`, `tool`, `agent`). Values the agent could not know (computed by the model)
 * are not probed. Keyed by message index; arguments that are not JSON count as one value.
 */
export function factProbesFromToolCalls(messages: readonly ChatMessage[], available = ''): Map<number, FactProbe> {
  return probesOf(messages, available, (message) =>
    message.role === 'assistant' ? (message.tool_calls ?? []).flatMap((call) => leafValues(parseArguments(call.function.arguments))) : [],
  );
}

/** Identifier-like words of a reply: an email, or a word of 3+ characters with a digit (HAT069, 2024-05-20, $121, 7447). */
const REPLY_VALUE = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\$?\b(?=[\w-]*\d)[\w-]{3,}\b/g;

/**
 * Probes for chat logs without tool calls: each recorded assistant reply's identifier-like values
 * (emails, codes, dates, amounts: words with a digit) that an earlier message or the record
 * already stated, which the agent needed in its context to write that reply. Same origins and
 * short-value rules as {@link factProbesFromToolCalls}, but a reply value has no argument name:
 * only its surrounding words vouch for a short one. Keyed by message index.
 */
export function factProbesFromReplies(messages: readonly ChatMessage[], available = ''): Map<number, FactProbe> {
  return probesOf(messages, available, (message) =>
    message.role === 'assistant' && message.content ? [...message.content.matchAll(REPLY_VALUE)].map(([value]) => ({ value })) : [],
  );
}

/** Walks the messages once: the values `valuesOf` finds in a message become its facts, each with the origin of the text before it that holds it. */
function probesOf(messages: readonly ChatMessage[], available: string, valuesOf: (message: ChatMessage) => ReadonlyArray<{ key?: string; value: string }>): Map<number, FactProbe> {
  const probes = new Map<number, FactProbe>();
  const start = normalizeForMatch(available);
  const earlier: StatedText[] = [];
  messages.forEach((message, index) => {
    const facts = new Map<string, Fact>();
    for (const { key, value } of valuesOf(message)) {
      if (facts.has(value)) continue;
      const fact = factOf(key, value, start, earlier);
      if (fact) facts.set(value, fact);
    }
    if (facts.size > 0) probes.set(index, { kind: 'fact', facts: [...facts.values()] });
    const origin = ORIGIN_OF_ROLE[message.role];
    if (origin) earlier.push({ origin, text: normalizeForMatch(visibleText(message)) });
  });
  return probes;
}

/** An earlier message as fact origins see it: who stated it, and its normalized text. */
export interface StatedText {
  origin: FactOrigin;
  text: string;
}

/**
 * Where the agent could have learned `value`: the normalized text available from the start
 * (`record`), else the first earlier message that states it; with the words around a short value.
 * Undefined when nothing before the call holds it.
 */
export function factOf(key: string | undefined, value: string, start: string, earlier: readonly StatedText[]): Fact | undefined {
  const short = normalizeForMatch(value).trim().length <= SHORT_FACT_CHARS;
  const keyed = key === undefined ? {} : { key };
  if (containsNormalized(start, value)) return { value, origin: 'record', ...keyed, ...(short ? { context: snippetAround(start, value) } : {}) };
  const source = earlier.find((message) => containsNormalized(message.text, value));
  if (!source) return undefined;
  return { value, origin: source.origin, ...keyed, ...(short ? { context: snippetAround(source.text, value) } : {}) };
}

/**
 * Whether a normalized context holds a fact: a long value anywhere as whole words; a short one
 * only beside its key (`amount 250`, up to two words between) or inside the words that surrounded
 * it where it came from, so "250" does not count because some other "250" is in the context.
 */
export function factPresent(normalizedContext: string, fact: Fact): boolean {
  if (!containsNormalized(normalizedContext, fact.value)) return false;
  if (fact.context === undefined) return true;
  if (normalizedContext.includes(` ${fact.context} `)) return true;
  const key = normalizeForMatch(fact.key ?? '').trim();
  if (key === '') return false;
  const value = normalizeForMatch(fact.value).trim();
  return new RegExp(` ${escape(key)}(?: \\S+){0,2} ${escape(value)} `).test(normalizedContext);
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function parseArguments(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return json;
  }
}
