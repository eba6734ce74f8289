import { z } from 'zod';
import { fitFixedParts, messageToText, type ChatMessage, type CustomerRecord, type KnowledgeDocument, type TokenCounter, type TurnInput } from '../core/index.js';

/** A whole-number count option of at least `min`, with its default and description. */
export function countOption(description: string, fallback: number, min = 1) {
  return z.number().int('must be a whole number').min(min, `must be ${min} or more`).default(fallback).describe(description);
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
