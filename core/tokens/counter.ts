import { CHAT_ROLES, isDeepFrozen, type ChatMessage, type ToolCall, type ToolDefinition } from '../messages.js';
import { ConfigError, InputError } from '../errors.js';
import { CountCache, type CountCacheStats } from './count-cache.js';
import { startsPreToken } from './pieces.js';
import { resolveEncoding, type EncodingName } from './encodings.js';
import { getTokenizer, type Tokenizer, type TokenizerBackend } from './tokenizer.js';

/**
 * Chat Completions billing overhead, after OpenAI's published counting rule
 * (cookbook "How to count tokens with tiktoken", verified there against the API for
 * gpt-3.5-turbo, gpt-4 and gpt-4o):
 * - every message costs 3 tokens of framing (`<|start|>{role}<|message|>...<|end|>`) plus the
 *   tokens of its role and of every string field (content, name, tool_call_id);
 * - a `name` costs 1 extra token;
 * - every reply is primed with `<|start|>assistant<|message|>`: 3 tokens once per request.
 * Tool calls inside assistant messages are not covered by the published rule; ctxbench counts
 * each as its function name plus its JSON arguments plus {@link TOKENS_PER_TOOL_CALL}, an
 * estimate that slightly overcounts rather than undercounts.
 */
export const TOKENS_PER_MESSAGE = 3;
export const TOKENS_PER_NAME = 1;
export const TOKENS_REPLY_PRIMING = 3;
export const TOKENS_PER_TOOL_CALL = 8;

/**
 * Tool definitions are rendered by the provider into the prompt; OpenAI publishes no rule, but its
 * cookbook ("How to count tokens with tiktoken", section on tools, checked there against the API
 * for gpt-4o and gpt-4o-mini) counts each function as 7 tokens plus `name:description`, 3 tokens
 * for a non-empty property list, each property as 3 tokens plus `key:type:description`, an enum
 * as -3 plus 3 and the value's tokens per item, and 12 tokens once per request. ctxbench follows
 * it and, where a property nests (objects, arrays of objects), adds the tokens of the nested
 * schema as JSON: an estimate that errs high, as the tool-call estimate does.
 */
export const TOOL_TOKENS = { perFunction: 7, properties: 3, perProperty: 3, enum: -3, perEnumItem: 3, perRequest: 12 } as const;

/** Texts shorter than this are counted whole; longer ones line by line where that is exact. */
const LINEWISE_MIN_CHARS = 200;

/** Texts whose token ids {@link TokenCounter.encodeRecent} keeps. */
const RECENT_ENCODINGS = 16;

/** Options of a {@link TokenCounter}. */
export interface TokenCounterOptions {
  /** A model name (gpt-4o) or an encoding name (o200k_base). @default 'gpt-4o' */
  model?: string;
  /** @default 'gpt-tokenizer' */
  backend?: TokenizerBackend;
  /** Most texts kept in the count cache; 0 turns the cache off. @default 20000 */
  cacheEntries?: number;
  /** Most characters kept in the count cache. @default 16000000 */
  cacheChars?: number;
}

/** Exact token counting for text and chat messages, with a bounded cache of repeated counts. */
export class TokenCounter {
  readonly encoding: EncodingName;
  readonly tokenizer: Tokenizer;
  private readonly cache: CountCache;
  /** Each message object's count, with the fields it was counted from (see {@link countMessage}). */
  private readonly messageCounts = new WeakMap<ChatMessage, CountedMessage>();
  /** Each tool object's count, with its JSON when it is not deeply frozen (see {@link countTool}). */
  private readonly toolCounts = new WeakMap<ToolDefinition, { json: string | undefined; tokens: number }>();
  private readonly recentEncodings = new Map<string, readonly number[]>();

  constructor(options: TokenCounterOptions = {}) {
    this.encoding = resolveEncoding(options.model ?? 'gpt-4o');
    this.tokenizer = getTokenizer(this.encoding, options.backend);
    // NaN or a negative size used to turn the cache off without a word.
    for (const key of ['cacheEntries', 'cacheChars'] as const) {
      const value = options[key];
      if (value !== undefined && !(Number.isInteger(value) && value >= 0)) throw new ConfigError(`TokenCounter ${key} = ${String(value)} must be a whole number, 0 or more`, `leave it out for the default; 0 turns the count cache off`);
    }
    this.cache = new CountCache(options.cacheEntries, options.cacheChars);
  }

  /** Tokens in `text`; special-token strings such as `<|endoftext|>` count as plain text. */
  count(text: string): number {
    if (typeof text !== 'string') {
      throw new InputError(`count() expects a string, got ${describe(text)}`, 'convert the value to text before counting');
    }
    if (text.length === 0) return 0;
    return this.cache.getOrCompute(text, this.countLines);
  }

  /**
   * Counts a text not in the cache. A long text is counted line by line where a line starts with
   * `#`, `-` or `[` (exact: see startsPreToken), each line through the cache: a context rendered
   * anew for each query (a new selection of memory lines, a section joined with others) then
   * costs the lines it has not seen before, not a whole new encoding.
   */
  private readonly countLines = (text: string): number => {
    if (text.length < LINEWISE_MIN_CHARS) return this.tokenizer.count(text);
    let tokens = 0;
    let start = 0;
    for (let newline = text.indexOf('\n'); newline !== -1 && newline < text.length - 1; newline = text.indexOf('\n', newline + 1)) {
      if (!startsPreToken(text, newline + 1)) continue;
      tokens += this.cache.getOrCompute(text.slice(start, newline + 1), this.tokenizer.count);
      start = newline + 1;
    }
    return start === 0 ? this.tokenizer.count(text) : tokens + this.cache.getOrCompute(text.slice(start), this.tokenizer.count);
  };

  encode(text: string): number[] {
    return this.tokenizer.encode(text);
  }

  /**
   * The token ids of `text`, shared and read-only, from a small cache of the texts encoded last:
   * comparing each request with the previous one encodes the same text twice in a row (as the
   * new message of one turn, then as the old one of the next).
   */
  encodeRecent(text: string): readonly number[] {
    const known = this.recentEncodings.get(text);
    if (known !== undefined) return known;
    const ids = this.tokenizer.encode(text);
    this.recentEncodings.set(text, ids);
    if (this.recentEncodings.size > RECENT_ENCODINGS) this.recentEncodings.delete(this.recentEncodings.keys().next().value!);
    return ids;
  }

  decode(tokens: readonly number[]): string {
    return this.tokenizer.decode(tokens);
  }

  /** Tokens one message adds to a request, without the once-per-request reply priming. */
  countMessage(message: ChatMessage): number {
    // A replay counts the same history messages at every turn: a message object seen before is
    // answered from its memo when none of its counted fields changed (compared by identity, so a
    // message edited in place is counted again), without hashing its text.
    const counted = this.messageCounts.get(message);
    if (counted !== undefined && sameCountedFields(counted, message)) return counted.tokens;
    const tokens = this.countMessageFields(message);
    if (this.cache.maxEntries > 0) this.messageCounts.set(message, countedFields(message, tokens));
    return tokens;
  }

  private countMessageFields(message: ChatMessage): number {
    // Checked on a miss only (a memo hit was checked when first counted): content 0 counted as
    // empty, and a role no API knows was counted as if it were one.
    if (typeof message !== 'object' || message === null) throw new InputError(`countMessage() expects a chat message object, got ${describe(message)}`, 'pass { role, content } objects');
    if (!CHAT_ROLES.includes(message.role)) throw new InputError(`message role ${JSON.stringify(message.role)} is not a chat role`, `use one of ${CHAT_ROLES.join(', ')}`);
    if (message.content !== undefined && message.content !== null && typeof message.content !== 'string') {
      throw new InputError(`message content must be text or null, got ${describe(message.content)}`, 'pass the message text as a string');
    }
    let tokens = TOKENS_PER_MESSAGE + this.count(message.role);
    if (message.content) tokens += this.count(message.content);
    if (message.name) tokens += this.count(message.name) + TOKENS_PER_NAME;
    if (message.tool_call_id) tokens += this.count(message.tool_call_id);
    for (const call of message.tool_calls ?? []) {
      tokens += TOKENS_PER_TOOL_CALL + this.count(call.function.name) + this.count(call.function.arguments);
    }
    return tokens;
  }

  /** Prompt tokens a Chat Completions request with these messages is billed for. */
  countMessages(messages: readonly ChatMessage[]): number {
    if (!Array.isArray(messages)) throw new InputError(`countMessages() expects a list of chat messages, got ${describe(messages)}`, 'pass an array of { role, content } messages');
    let tokens = TOKENS_REPLY_PRIMING;
    for (const message of messages) tokens += this.countMessage(message);
    return tokens;
  }

  /** Prompt tokens the tool definitions of one request add (0 for none); see {@link TOOL_TOKENS}. */
  countTools(tools: readonly ToolDefinition[] | undefined): number {
    if (!tools || tools.length === 0) return 0;
    let tokens = TOOL_TOKENS.perRequest;
    for (const tool of tools) tokens += this.countTool(tool);
    return tokens;
  }

  /** Tokens of one tool definition, without the once-per-request framing. */
  countTool(tool: ToolDefinition): number {
    // Every request of a conversation sends the same tool objects: each is counted once. A deeply
    // frozen definition cannot change; any other is counted again when its JSON changed (a
    // definition edited in place).
    const counted = this.toolCounts.get(tool);
    if (counted !== undefined && (counted.json === undefined || counted.json === JSON.stringify(tool))) return counted.tokens;
    const tokens = this.countToolFields(tool);
    if (this.cache.maxEntries > 0) this.toolCounts.set(tool, { json: isDeepFrozen(tool) ? undefined : JSON.stringify(tool), tokens });
    return tokens;
  }

  private countToolFields(tool: ToolDefinition): number {
    const { name, description = '', parameters } = tool.function;
    let tokens = TOOL_TOKENS.perFunction + this.count(`${name}:${description.replace(/\.$/, '')}`);
    const properties = (parameters?.properties ?? {}) as Record<string, Record<string, unknown>>;
    const keys = Object.keys(properties);
    if (keys.length > 0) tokens += TOOL_TOKENS.properties;
    for (const key of keys) {
      const { type, description: about = '', enum: values, ...nested } = properties[key] ?? {};
      tokens += TOOL_TOKENS.perProperty + this.count(`${key}:${typeof type === 'string' ? type : JSON.stringify(type ?? '')}:${String(about).replace(/\.$/, '')}`);
      if (Array.isArray(values)) {
        tokens += TOOL_TOKENS.enum;
        for (const value of values) tokens += TOOL_TOKENS.perEnumItem + this.count(String(value));
      }
      if (nested.properties !== undefined || nested.items !== undefined) tokens += this.count(JSON.stringify(nested));
    }
    return tokens;
  }

  /** Prompt tokens of a whole request: its messages plus its tool definitions. */
  countRequest(messages: readonly ChatMessage[], tools?: readonly ToolDefinition[]): number {
    return this.countMessages(messages) + this.countTools(tools);
  }

  cacheStats(): CountCacheStats {
    return this.cache.stats();
  }
}

/** The fields a message's count depends on, as they were when it was counted. */
interface CountedMessage {
  role: string;
  content: string | null;
  name: string | undefined;
  toolCallId: string | undefined;
  toolCalls: ToolCall[] | undefined;
  /** Each call's function name and arguments, so an edit inside the calls is seen. */
  callTexts: string[];
  tokens: number;
}

function countedFields(message: ChatMessage, tokens: number): CountedMessage {
  const callTexts: string[] = [];
  for (const call of message.tool_calls ?? []) callTexts.push(call.function.name, call.function.arguments);
  return { role: message.role, content: message.content, name: message.name, toolCallId: message.tool_call_id, toolCalls: message.tool_calls, callTexts, tokens };
}

function sameCountedFields(counted: CountedMessage, message: ChatMessage): boolean {
  if (counted.role !== message.role || counted.content !== message.content || counted.name !== message.name || counted.toolCallId !== message.tool_call_id || counted.toolCalls !== message.tool_calls) return false;
  const calls = message.tool_calls;
  if (calls === undefined) return counted.callTexts.length === 0;
  if (calls.length * 2 !== counted.callTexts.length) return false;
  for (let i = 0; i < calls.length; i++) {
    const fn = calls[i]!.function;
    if (fn.name !== counted.callTexts[2 * i] || fn.arguments !== counted.callTexts[2 * i + 1]) return false;
  }
  return true;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

const shared = new Map<string, TokenCounter>();

/** A process-wide counter per model or encoding, so caches are shared across components. */
export function sharedCounter(model = 'gpt-4o'): TokenCounter {
  const encoding = resolveEncoding(model);
  let counter = shared.get(encoding);
  if (!counter) {
    counter = new TokenCounter({ model: encoding });
    shared.set(encoding, counter);
  }
  return counter;
}
