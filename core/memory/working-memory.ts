import { z } from 'zod';
import { smartTruncate } from '../budget/truncate.js';
import { ConfigError, InputError } from '../errors.js';
import { CHAT_ROLES, messageToText, toolExchangeUnits, type ChatMessage } from '../messages.js';
import { sharedCounter, type TokenCounter } from '../tokens/counter.js';
import { firstIssue } from '../validation.js';
import { parseOrThrow, shown } from './options.js';
import { ExtractiveSummarizer, type Summarizer } from './summarizer.js';

/** Options of a {@link WorkingMemory}. */
export interface WorkingMemoryOptions {
  /** Most messages kept verbatim before compaction. @default 20 */
  maxMessages?: number;
  /** Most tokens (billed per message, see TokenCounter.countMessage) kept verbatim before compaction. @default 4000 */
  maxTokens?: number;
  /** @default new ExtractiveSummarizer({ counter }) */
  summarizer?: Summarizer;
  /** The running summary's token cap. @default 500 */
  summaryMaxTokens?: number;
  /** Share of both bounds the recent messages may fill right after a compaction. @default 0.5 */
  keepRatio?: number;
  /**
   * How a compaction changes the summary. `rewrite`: the summarizer folds the evicted messages
   * into the whole summary. `append`: it summarizes the evicted messages alone and appends them
   * while the cap allows, so the summary sent before stays a prefix of the new one (and in the
   * prompt cache); only when the cap is reached is the whole summary rewritten, to `keepRatio` of
   * the cap, which leaves room for the next appends (compaction in jumps). @default 'rewrite'
   */
  summaryUpdate?: 'rewrite' | 'append';
  /** @default sharedCounter() */
  counter?: TokenCounter;
}

/** What one compaction did: the messages folded into the summary, and the summary after it. */
export interface Compaction {
  evicted: readonly ChatMessage[];
  summary: string;
}

/** The context working memory hands to the budget manager. */
export interface WorkingContext {
  summary: string;
  messages: ChatMessage[];
  /** The summary (under a header) and the messages as text lines. */
  text: string;
  /** Tokens of `text`. */
  tokens: number;
}

/** The persisted form of a working memory; limits and summarizer are configuration, not state. */
export interface WorkingMemoryState {
  summary: string;
  messages: ChatMessage[];
  compactions: number;
}

const count = (problem: string) => z.number().int(problem).positive(problem);
const OPTION_KEYS = ['maxMessages', 'maxTokens', 'summarizer', 'summaryMaxTokens', 'keepRatio', 'summaryUpdate', 'counter'];
const optionsSchema = z.strictObject({
  maxMessages: count('must be a whole number of messages above zero').default(20),
  maxTokens: count('must be a whole number of tokens above zero').default(4000),
  summaryMaxTokens: z.number().int('must be a whole number of tokens').nonnegative('must be zero or more tokens').default(500),
  keepRatio: z.number().min(0, 'must be 0 or more').lt(1, 'must be below 1, or compaction would free no room').default(0.5),
  summaryUpdate: z.enum(['rewrite', 'append'], { error: 'must be "rewrite" or "append"' }).default('rewrite'),
});

const toolCallSchema = z.object({ id: z.string().min(1), type: z.literal('function'), function: z.object({ name: z.string(), arguments: z.string() }) });
const messageSchema = z.object({
  role: z.enum(CHAT_ROLES as [ChatMessage['role'], ...ChatMessage['role'][]]),
  content: z.string().nullable(),
  name: z.string().optional(),
  tool_calls: z.array(toolCallSchema).optional(),
  tool_call_id: z.string().optional(),
  timestamp: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
const stateSchema = z.object({ summary: z.string(), messages: z.array(messageSchema), compactions: z.number().int().nonnegative() });

/** The line that introduces the summary in {@link WorkingMemory.getContext}'s text. */
export const SUMMARY_HEADER = 'Summary of the earlier conversation:';

/**
 * The recent conversation, bounded by a message count and a token limit. When an add crosses a
 * bound, the older messages are folded into a running summary and the recent ones kept as they
 * were, cut at whole tool exchanges (a call never loses its results, a result never its call).
 * Between compactions the messages are append-only: every `messages` array is a prefix of the
 * next, so a prompt built from them keeps a stable, cacheable prefix.
 */
export class WorkingMemory {
  private readonly limits: z.infer<typeof optionsSchema>;
  private readonly summarizer: Summarizer;
  private readonly counter: TokenCounter;
  private buffer: readonly ChatMessage[] = Object.freeze([]);
  private bufferTokens = 0;
  private summaryText = '';
  private compactionCount = 0;
  private queue: Promise<unknown> = Promise.resolve();

  /** @throws ConfigError naming the option, its value and the fix. */
  constructor(options: WorkingMemoryOptions = {}) {
    const { summarizer, counter, ...limits } = options;
    this.limits = parseOrThrow(optionsSchema, limits, { what: 'invalid working memory option', hint: 'leave it out for the default or pass a value in range', error: ConfigError, known: { '': OPTION_KEYS } });
    this.counter = counter ?? sharedCounter();
    this.summarizer = summarizer ?? new ExtractiveSummarizer({ counter: this.counter });
  }

  /** Restores a memory saved with {@link toJSON}. @throws InputError naming the malformed key. */
  static fromJSON(state: unknown, options: WorkingMemoryOptions = {}): WorkingMemory {
    const parsed = stateSchema.safeParse(state);
    if (!parsed.success) {
      const issue = firstIssue(state, parsed.error);
      throw new InputError(`invalid working memory state: ${issue.key} ${issue.problem}`, 'pass an object saved by WorkingMemory.toJSON()');
    }
    const memory = new WorkingMemory(options);
    for (const message of parsed.data.messages) memory.append(message as ChatMessage);
    memory.summaryText = memory.capSummary(parsed.data.summary);
    memory.compactionCount = parsed.data.compactions;
    return memory;
  }

  /** The messages kept verbatim, oldest first; a frozen snapshot that later adds never change. */
  get messages(): readonly ChatMessage[] {
    return this.buffer;
  }

  /** The running summary of everything compacted so far. */
  get summary(): string {
    return this.summaryText;
  }

  /** How many compactions have run. */
  get compactions(): number {
    return this.compactionCount;
  }

  /** Tokens the kept messages are billed for, without the per-request reply priming. */
  get tokens(): number {
    return this.bufferTokens;
  }

  /** How full the kept messages are: their share of the nearer bound (messages or tokens); compaction runs above 1. */
  get fill(): number {
    return Math.max(this.buffer.length / this.limits.maxMessages, this.bufferTokens / this.limits.maxTokens);
  }

  /**
   * Appends a message and compacts when a bound is crossed. A refused message changes nothing.
   * @throws InputError for a malformed message (naming the key), or a tool result that answers no pending call of the latest assistant message.
   */
  async add(message: ChatMessage): Promise<Compaction | undefined> {
    const parsed = messageSchema.safeParse(message);
    if (!parsed.success) {
      const issue = firstIssue(message, parsed.error);
      throw new InputError(
        `invalid working memory message: ${issue.key} = ${shown(issue.value)} ${issue.problem}`,
        'pass a chat message { role, content } with role one of ' + CHAT_ROLES.join(', ') + ' and content a string (or null)',
      );
    }
    this.append(message);
    return this.needsCompaction() ? this.compact() : undefined;
  }

  /** Whether the kept messages exceed the message count or the token limit. */
  needsCompaction(): boolean {
    return this.buffer.length > this.limits.maxMessages || this.bufferTokens > this.limits.maxTokens;
  }

  /**
   * Folds the older messages into the summary, keeping the longest run of recent whole tool
   * exchanges that fits `keepRatio` of both bounds (always at least the latest exchange).
   * Compactions run one at a time; messages added meanwhile are kept. Undefined when nothing is older.
   */
  compact(): Promise<Compaction | undefined> {
    const run = this.queue.then(() => this.compactNow());
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The summary and the recent messages, rendered for the budget manager. */
  getContext(): WorkingContext {
    const parts = [this.summaryText ? `${SUMMARY_HEADER}\n${this.summaryText}` : '', this.buffer.map(messageToText).join('\n')];
    const text = parts.filter((part) => part.length > 0).join('\n\n');
    return { summary: this.summaryText, messages: [...this.buffer], text, tokens: this.counter.count(text) };
  }

  toJSON(): WorkingMemoryState {
    return { summary: this.summaryText, messages: [...this.buffer], compactions: this.compactionCount };
  }

  private append(message: ChatMessage): void {
    if (message.role === 'tool') {
      const open = toolExchangeUnits(this.buffer).at(-1);
      const answered = new Set(open?.filter((m) => m.role === 'tool').map((m) => m.tool_call_id));
      const pending = (open?.[0]?.tool_calls ?? []).map((call) => call.id).filter((id) => !answered.has(id));
      if (message.tool_call_id === undefined || !pending.includes(message.tool_call_id)) {
        throw new InputError(
          `tool result "${message.tool_call_id ?? '(no tool_call_id)'}" answers no pending tool call (pending: ${pending.join(', ') || 'none'})`,
          'add each tool result right after the assistant message that made the call',
        );
      }
    }
    // Counted first: a counter that throws leaves the memory as it was.
    const tokens = this.counter.countMessage(message);
    this.buffer = Object.freeze([...this.buffer, message]);
    this.bufferTokens += tokens;
  }

  private async compactNow(): Promise<Compaction | undefined> {
    const units = toolExchangeUnits(this.buffer);
    const evicted = units.slice(0, this.keptFrom(units)).flat();
    if (evicted.length === 0) return undefined;
    this.summaryText = this.capSummary(await this.summarize(evicted));
    this.buffer = Object.freeze(this.buffer.slice(evicted.length));
    this.bufferTokens = this.buffer.reduce((sum, message) => sum + this.counter.countMessage(message), 0);
    this.compactionCount++;
    return { evicted, summary: this.summaryText };
  }

  /** The summary after folding in `evicted`, as `summaryUpdate` says. */
  private async summarize(evicted: readonly ChatMessage[]): Promise<string> {
    const cap = this.limits.summaryMaxTokens;
    if (this.limits.summaryUpdate === 'rewrite' || this.summaryText === '') return this.summarizer.summarize(evicted, { previousSummary: this.summaryText, maxTokens: cap });
    const part = (await this.summarizer.summarize(evicted, { previousSummary: '', maxTokens: cap })).trim();
    const appended = part === '' ? this.summaryText : `${this.summaryText}\n${part}`;
    if (this.counter.count(appended) <= cap) return appended;
    return this.summarizer.summarize(evicted, { previousSummary: this.summaryText, maxTokens: Math.floor(cap * this.limits.keepRatio) });
  }

  /** Index of the first unit of the longest suffix within the kept share; the last unit always stays. */
  private keptFrom(units: readonly ChatMessage[][]): number {
    const keepMessages = Math.floor(this.limits.maxMessages * this.limits.keepRatio);
    const keepTokens = Math.floor(this.limits.maxTokens * this.limits.keepRatio);
    let messages = 0;
    let tokens = 0;
    let start = units.length;
    while (start > 0) {
      const unit = units[start - 1]!;
      messages += unit.length;
      tokens += unit.reduce((sum, message) => sum + this.counter.countMessage(message), 0);
      if (start < units.length && (messages > keepMessages || tokens > keepTokens)) break;
      start--;
    }
    return start;
  }

  // A custom summarizer may overshoot; the cap holds whatever it returns.
  private capSummary(summary: string): string {
    return smartTruncate(summary, this.limits.summaryMaxTokens, this.counter, 'end').text;
  }
}
