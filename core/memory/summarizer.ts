import type OpenAI from 'openai';
import { ExtractiveCompressor, type Compressor } from '../budget/compressor.js';
import { smartTruncate } from '../budget/truncate.js';
import { ConfigError } from '../errors.js';
import { createLlmClient, type LlmConfig } from '../llm/client.js';
import { messageToText, type ChatMessage, type ChatRole } from '../messages.js';
import { splitSentences } from '../text/segment.js';
import { sharedCounter, type TokenCounter } from '../tokens/counter.js';

/** What a summarizer is told besides the messages: the summary so far and the cap on the new one. */
export interface SummarizeOptions {
  /** The running summary the new one replaces; its key facts should survive. */
  previousSummary: string;
  /** Most tokens the returned summary may take. */
  maxTokens: number;
}

/** Folds messages that leave the recent window into a running summary of at most `maxTokens` tokens. */
export interface Summarizer {
  summarize(messages: readonly ChatMessage[], options: SummarizeOptions): Promise<string>;
}

/**
 * Sentences in which the customer says who they are or what they prefer; matched in user
 * messages and the previous summary. Matched with `String.search`, so a global flag is harmless.
 */
export const CUSTOMER_CUES: readonly RegExp[] = [
  /\bmy (?:user ?id|user name|username|name|email|e-mail|phone(?: number)?|account(?: number| id)?|(?:order|reservation|booking|ticket|member(?:ship)?) (?:number|id|code))\b/i,
  /\bI(?:'d| would) (?:like|prefer|rather)\b/i,
  /\bI (?:prefer|want|choose|chose|decided?)\b/i,
  /\bI (?:don't|do not|won't|will not) want\b/i,
  /\bplease (?:don't|do not|never|always|make sure)\b/i,
  /\b(?:always|never) (?:call|email|text|contact|send|book|use)\b/i,
];

/** Sentences that record a decision, said by either side; matched in user and assistant messages and the previous summary. */
export const DECISION_CUES: readonly RegExp[] = [
  /\b(?:we|you) agreed\b/i,
  /\b(?:confirmed|approved|declined)\b/i,
  /\bcancel(?:led|ed|lation|ling)?\b/i,
  /\brefund(?:ed|s)?\b/i,
];

/** What the agent did: a tool call with its JSON arguments, as messageToText writes it; matched in assistant messages and the previous summary. */
export const ACTION_CUES: readonly RegExp[] = [/\b\w+\(\{"/];

/** The fewest tokens of room in which a long prose sentence is cut into pieces rather than left out (see ExtractiveSummarizer). */
export const MIN_PIECE_TOKENS = 8;

/** Options of an {@link ExtractiveSummarizer}. */
export interface ExtractiveSummarizerOptions {
  /** @default sharedCounter() */
  counter?: TokenCounter;
  /** @default CUSTOMER_CUES */
  customerCues?: readonly RegExp[];
  /** @default DECISION_CUES */
  decisionCues?: readonly RegExp[];
  /** @default ACTION_CUES */
  actionCues?: readonly RegExp[];
  /** Share of the cap that cued sentences (the customer's statements, then decisions and the agent's actions) may claim first. @default 0.5 */
  statementShare?: number;
  /** Selects sentences within each share. @default new ExtractiveCompressor() */
  compressor?: Compressor;
}

/**
 * The offline default: merges the previous summary with the new messages (JSON tool results
 * flattened to one `tool.path: value` line per fact) and keeps, in passes of the entity-first
 * {@link ExtractiveCompressor}, first the cued sentences within `statementShare` of the cap (the
 * customer's identity and preferences; then, in what is left of that share, decisions and the
 * agent's tool calls with their arguments), then the other facts in the room left: first the
 * latest line of each tool-result field with the uncued prose, then the older lines of fields that
 * came again. Repeated sentences count once, at their latest position.
 */
export class ExtractiveSummarizer implements Summarizer {
  private readonly counter: TokenCounter;
  /** Cues of the first pass (who the customer is, what they prefer), by the role that said the sentence. */
  private readonly customerCuesByRole: ReadonlyMap<ChatRole | 'summary', readonly RegExp[]>;
  /** Cues of the second pass (what was decided, what the agent did), by the role that said the sentence. */
  private readonly doneCuesByRole: ReadonlyMap<ChatRole | 'summary', readonly RegExp[]>;
  private readonly statementShare: number;
  private readonly compressor: Compressor;

  /** @throws ConfigError when `statementShare` is outside 0..1. */
  constructor(options: ExtractiveSummarizerOptions = {}) {
    this.counter = options.counter ?? sharedCounter();
    const customer = options.customerCues ?? CUSTOMER_CUES;
    const decision = options.decisionCues ?? DECISION_CUES;
    const done = [...decision, ...(options.actionCues ?? ACTION_CUES)];
    this.customerCuesByRole = new Map([['summary', customer], ['user', customer]]);
    this.doneCuesByRole = new Map([['summary', done], ['user', decision], ['assistant', done]]);
    this.statementShare = options.statementShare ?? 0.5;
    if (!(this.statementShare >= 0 && this.statementShare <= 1)) {
      throw new ConfigError(`invalid summarizer option: statementShare = ${this.statementShare} must be between 0 and 1`, 'leave it out for the default 0.5');
    }
    this.compressor = options.compressor ?? new ExtractiveCompressor();
  }

  async summarize(messages: readonly ChatMessage[], { previousSummary, maxTokens }: SummarizeOptions): Promise<string> {
    const cap = Math.max(0, Math.floor(maxTokens));
    if (cap === 0) return '';
    const { statements, done, facts } = this.partition(previousSummary, messages);
    const statementRoom = Math.floor(cap * this.statementShare);
    const { latest, older } = byField(facts);
    // Each pass fills what the passes before it left, up to its own limit. A cued sentence its
    // share cannot hold whole keeps its end, where the cue's object usually is ("... my user ID
    // is X"). Fact sentences are kept whole; when none fits, a prose sentence may give a piece of
    // whole words (see proseInPieces), a field line never: its cut is a value without its field ("24").
    const passes: Array<[sentences: readonly string[], limit: number, wholeSentences: boolean]> = [
      [statements, statementRoom, false],
      [done, statementRoom, false],
      [latest, cap, true],
      [older, cap, true],
    ];
    const kept: string[] = [];
    let spent = 0;
    for (const [sentences, limit, wholeSentences] of passes) {
      const room = limit - spent;
      if (room <= 0 || sentences.length === 0) continue;
      const context = { counter: this.counter, keep: 'end' as const, wholeSentences };
      let part = this.compressor.compress(sentences.join(''), room, context).trim();
      if (part === '' && wholeSentences) part = this.compressor.compress(this.proseInPieces(sentences, room).join(''), room, context).trim();
      if (part === '') continue;
      kept.push(part);
      // One token is held back for each newline that joins two parts.
      spent += this.counter.count(part) + 1;
    }
    return smartTruncate(kept.join('\n'), cap, this.counter, 'end').text;
  }

  /**
   * The sentences with every prose sentence longer than `room` cut into pieces of whole words of
   * at most `room` tokens, each on its own line, for a pass that could keep no sentence whole: a
   * customer who types without full stops writes one long "sentence", and its best piece ("on
   * 2024-05-24 from JFK can you look at reservation ZFA04Y") is worth keeping. Field lines stay
   * whole, and under {@link MIN_PIECE_TOKENS} of room nothing is cut: a shorter piece is a value
   * without the words that say what it is.
   */
  private proseInPieces(sentences: readonly string[], room: number): string[] {
    if (room < MIN_PIECE_TOKENS) return [];
    return sentences.flatMap((sentence) => {
      if (fieldOf(sentence) !== undefined || this.counter.count(sentence) <= room) return [sentence];
      const pieces: string[] = [];
      let piece = '';
      for (const word of sentence.trim().split(/(?<=\s)/)) {
        // One token of the room is held for the newline that ends a piece.
        if (piece !== '' && this.counter.count(piece + word) > room - 1) {
          pieces.push(`${piece.trimEnd()}\n`);
          piece = '';
        }
        piece += word;
      }
      if (piece.trim() !== '') pieces.push(`${piece.trimEnd()}\n`);
      return pieces;
    });
  }

  /** Splits the sentences of the previous summary and the messages into the customer's cued statements, decisions and the agent's actions, and other facts. */
  private partition(previousSummary: string, messages: readonly ChatMessage[]): { statements: string[]; done: string[]; facts: string[] } {
    const passages = [{ text: previousSummary, source: 'summary' as const }, ...messages.map((m) => ({ text: factText(m), source: m.role }))];
    const sentences = latestDistinct(passages.flatMap(({ text, source }) => sentencesOf(text).map((sentence) => ({ text: sentence, source }))));
    const statements: string[] = [];
    const done: string[] = [];
    const facts: string[] = [];
    const matches = (cues: readonly RegExp[] | undefined, text: string) => (cues ?? []).some((cue) => text.search(cue) !== -1);
    for (const { text, source } of sentences) {
      if (matches(this.customerCuesByRole.get(source), text)) statements.push(text);
      else if (matches(this.doneCuesByRole.get(source), text)) done.push(text);
      else facts.push(text);
    }
    return { statements, done, facts };
  }
}

/** A flattened tool-result line (`tool.key: value`, `tool[0].key: value`), not "user: ...": its field, list positions ignored. */
function fieldOf(sentence: string): string | undefined {
  return /^\s*([A-Za-z_]\w*(?:\.[\w-]+|\[\d+\])+): /.exec(sentence)?.[1]?.replace(/\[\d+\]/g, '[]');
}

/**
 * The fact sentences split by field: the latest line of each `tool.path: value` field (list
 * positions ignored) and every sentence that is not such a line, then the older lines of fields
 * seen again later. A field kept once is worth less than one not kept at all.
 */
function byField(facts: readonly string[]): { latest: string[]; older: string[] } {
  const seen = new Set<string>();
  const latest: string[] = [];
  const older: string[] = [];
  for (let i = facts.length - 1; i >= 0; i--) {
    const field = fieldOf(facts[i]!);
    if (field !== undefined && seen.has(field)) older.push(facts[i]!);
    else latest.push(facts[i]!);
    if (field !== undefined) seen.add(field);
  }
  return { latest: latest.reverse(), older: older.reverse() };
}

/**
 * Sentences of a passage, each on its own line so they can be joined in any selection and split
 * apart again when the summary is rewritten: joined by the space they came with, a kept sentence
 * would run on into the next kept one ("...May 22nd. assistant: ..."), the sentence splitter would
 * not separate them again, and the rewrite would keep or drop both, matched by either's cues.
 */
function sentencesOf(text: string): string[] {
  if (text.trim() === '') return [];
  // A tool-result field line is one fact whatever its value holds ("address1: 123 Main St. Apt 4").
  return text
    .split('\n')
    .flatMap((line) => (fieldOf(line) !== undefined ? [line] : splitSentences(line)))
    .filter((sentence) => sentence.trim() !== '')
    .map((sentence) => `${sentence.trimEnd()}\n`);
}

/** Drops repeated sentences, keeping the latest occurrence, in order. */
function latestDistinct<T extends { text: string }>(sentences: readonly T[]): T[] {
  const last = new Map(sentences.map((sentence, index) => [sentence.text.trim(), index]));
  return sentences.filter((sentence, index) => last.get(sentence.text.trim()) === index);
}

/** A message as fact text: JSON tool results become one `tool.path: value` line per leaf. */
function factText(message: ChatMessage): string {
  if (message.role !== 'tool' || !message.content) return messageToText(message);
  let parsed: unknown;
  try {
    parsed = JSON.parse(message.content);
  } catch {
    return messageToText(message);
  }
  if (parsed === null || typeof parsed !== 'object') return messageToText(message);
  const lines: string[] = [];
  flattenJson(parsed, message.name ?? 'tool', lines);
  return lines.join('\n');
}

/** One `path: value` line per leaf; `ownKey` is the key the value sits under in its parent object. */
function flattenJson(value: unknown, path: string, lines: string[], ownKey?: string): void {
  if (Array.isArray(value) && value.every((item) => item === null || typeof item !== 'object')) {
    lines.push(`${path}: ${value.map(String).join(', ')}`);
  } else if (Array.isArray(value)) {
    value.forEach((child, index) => flattenJson(child, `${path}[${index}]`, lines));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      // A field that repeats the key its object sits under (`methods.card_7.id: card_7`) adds nothing.
      if (child !== ownKey) flattenJson(child, `${path}.${key}`, lines, key);
    }
  } else {
    lines.push(`${path}: ${String(value)}`);
  }
}

const SYSTEM_PROMPT = [
  'You maintain the running summary of a customer-service conversation for the agent that continues it.',
  'Merge the previous summary with the new messages into one concise, factual summary.',
  'Keep every identifier (user ids, reservation, order and ticket numbers), amount, date, name,',
  'stated preference and decision exactly as written; drop greetings and small talk.',
  'Reply with the summary only.',
].join(' ');

/** Options of an {@link LlmSummarizer}. */
export interface LlmSummarizerOptions {
  /** @default sharedCounter() */
  counter?: TokenCounter;
  /** Used whenever the endpoint fails. @default new ExtractiveSummarizer({ counter }) */
  fallback?: Summarizer;
}

/**
 * Summarizes through any OpenAI-compatible chat endpoint. The answer is hard-capped to
 * `maxTokens` (whole sentences first, entities kept); on any endpoint failure the fallback
 * summarizes instead and {@link lastFallbackReason} says why, so a summary is always returned.
 */
export class LlmSummarizer implements Summarizer {
  private readonly client: OpenAI;
  private readonly counter: TokenCounter;
  private readonly fallback: Summarizer;
  private fallbackReason: string | undefined;

  /** @throws ConfigError when `config.baseURL` is not an http(s) URL. */
  constructor(
    private readonly config: LlmConfig,
    options: LlmSummarizerOptions = {},
  ) {
    this.client = createLlmClient(config);
    this.counter = options.counter ?? sharedCounter();
    this.fallback = options.fallback ?? new ExtractiveSummarizer({ counter: this.counter });
  }

  /** Why the last call fell back to the offline summarizer; undefined after a call the model answered. */
  get lastFallbackReason(): string | undefined {
    return this.fallbackReason;
  }

  async summarize(messages: readonly ChatMessage[], options: SummarizeOptions): Promise<string> {
    try {
      const answer = await this.ask(messages, options);
      this.fallbackReason = undefined;
      return smartTruncate(answer, options.maxTokens, this.counter, 'start').text;
    } catch (error) {
      this.fallbackReason = error instanceof Error ? error.message : String(error);
      return this.fallback.summarize(messages, options);
    }
  }

  // No max_tokens is sent: providers disagree on its name (max_tokens, max_completion_tokens),
  // so the cap is stated in the prompt and enforced on the answer.
  private async ask(messages: readonly ChatMessage[], { previousSummary, maxTokens }: SummarizeOptions): Promise<string> {
    const transcript = messages.map(messageToText).join('\n');
    const response = await this.client.chat.completions.create({
      model: this.config.model,
      temperature: 0,
      messages: [
        { role: 'system', content: `${SYSTEM_PROMPT} Use at most ${Math.floor(maxTokens)} tokens.` },
        { role: 'user', content: `Previous summary:\n${previousSummary || '(none)'}\n\nNew messages:\n${transcript}` },
      ],
    });
    const content: unknown = response?.choices?.[0]?.message?.content;
    if (typeof content !== 'string' || content.trim() === '') {
      throw new Error(`${this.config.baseURL} answered without a summary (no choices[0].message.content)`);
    }
    return content.trim();
  }
}
