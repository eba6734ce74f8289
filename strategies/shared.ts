import { z } from 'zod';
import { fitFixedParts, shownDefaults, messageToText, TOOL_TOKENS, type AssembledContext, type ChatMessage, type CustomerRecord, type Episode, type KnowledgeDocument, type TokenCounter, type ToolDefinition, type TurnInput } from '../core/index.js';

/** A whole-number count option of at least `min`, with its default and description. */
export function countOption(description: string, fallback: number, min = 1) {
  return z.number().int('must be a whole number').min(min, `must be ${min} or more`).default(fallback).describe(description);
}

/** An option whose default may be tuned per dataset: left out, the dataset's tuned value applies, else `fallback` (shown as such in the documentation). */
export function tunedOption<T extends z.ZodType>(type: T, description: string, fallback: string | number | boolean) {
  const field = type.optional().describe(description);
  shownDefaults.add(field, { shown: `${fallback}, or the dataset's tuned value` });
  return field;
}

/** A whole-number count option whose default may be tuned per dataset (see tunedOption). */
export function tunedCountOption(description: string, fallback: number, min = 1) {
  return tunedOption(z.number().int('must be a whole number').min(min, `must be ${min} or more`), description, fallback);
}

/** The turn's own query as a user message, when the turn poses one (LoCoMo questions, single-turn queries). */
export function queryMessages(input: TurnInput): ChatMessage[] {
  return input.turn.query === undefined ? [] : [{ role: 'user', content: input.turn.query }];
}

/**
 * The system prompt and the turn's query as messages, shrunk to leave `reserve` tokens of `budget`
 * when they alone would not (see fitFixedParts), so a budgeted strategy never exceeds its budget.
 */
export function fixedMessages(input: TurnInput, budget: number, counter: TokenCounter, reserve = 0): { system: ChatMessage[]; query: ChatMessage[] } {
  const fitted = fitFixedParts({ system: input.episode.systemPrompt, ...(input.turn.query === undefined ? {} : { query: input.turn.query }) }, budget, counter, reserve);
  return { system: [{ role: 'system', content: fitted.system }], query: fitted.query === undefined ? [] : [{ role: 'user', content: fitted.query }] };
}

/** Every knowledge document, in full, under its title. */
export function renderKnowledge(documents: readonly KnowledgeDocument[]): string {
  return documents.map((doc) => `### ${doc.title}\n${doc.text}`).join('\n\n');
}

/** The customer's profile and records as compact JSON lines. */
export function renderCustomer(customer: CustomerRecord | undefined): string {
  if (!customer) return '';
  const records = Object.entries(customer.records).map(([id, record]) => `${id}: ${JSON.stringify(record)}`);
  return [`profile: ${JSON.stringify(customer.profile)}`, ...records].join('\n');
}

/** Conversation units rendered as plain text lines. */
export function renderUnits(units: readonly ChatMessage[][]): string {
  return units.flatMap((unit) => unit.map(messageToText)).join('\n');
}

/** Billed tokens of the messages of some units, without the per-request priming. */
export function unitTokens(unit: readonly ChatMessage[], counter: TokenCounter): number {
  return unit.reduce((sum, message) => sum + counter.countMessage(message), 0);
}

/** Index of the first unit of the longest suffix of `units` whose tokens fit `budget`. */
export function recentUnitsStart(units: readonly ChatMessage[][], budget: number, counter: TokenCounter, floor = 0): number {
  let used = 0;
  let start = units.length;
  while (start > floor) {
    const tokens = unitTokens(units[start - 1]!, counter);
    if (used + tokens > budget) break;
    used += tokens;
    start--;
  }
  return start;
}

/** Tokens per section for a context made of whole messages. */
export function messageSections(counter: TokenCounter, parts: Record<string, readonly ChatMessage[]>): Record<string, number> {
  return Object.fromEntries(Object.entries(parts).map(([name, messages]) => [name, messages.reduce((sum, m) => sum + counter.countMessage(m), 0)]));
}

/**
 * The episode's tools for a strategy that does no routing: all of them, in catalog order, or as
 * many as fit `room` tokens when they do not all fit (the rest of the budget goes to the messages).
 */
export function episodeTools(episode: Readonly<Episode>, counter: TokenCounter, room = Infinity): { tools: ToolDefinition[]; tokens: number } {
  const all = episode.tools ?? [];
  const tokens = counter.countTools(all);
  if (tokens <= room) return { tools: all, tokens };
  // countTools is the per-request framing plus each tool's own tokens.
  let end = 0;
  let fitting = TOOL_TOKENS.perRequest;
  while (end < all.length && fitting + counter.countTool(all[end]!) <= room) fitting += counter.countTool(all[end++]!);
  return end === 0 ? { tools: [], tokens: 0 } : { tools: all.slice(0, end), tokens: fitting };
}

/** The context with its tools (and their tokens as the first section); unchanged when there are none. */
export function withTools(context: AssembledContext, { tools, tokens }: { tools: ToolDefinition[]; tokens: number }): AssembledContext {
  return tools.length === 0 ? context : { ...context, tools, sections: { tools: tokens, ...context.sections } };
}
