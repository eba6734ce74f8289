import { InputError } from './errors.js';
/** A tool call made by the assistant, in the OpenAI Chat Completions shape. */
export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** A tool the model may call, in the OpenAI Chat Completions `tools` shape (JSON Schema parameters). */
export interface ToolDefinition {
  type: 'function';
  function: {
    name: string;
    description?: string;
    /** A JSON Schema object: `{ type: 'object', properties, required }`. */
    parameters?: Record<string, unknown>;
    strict?: boolean;
  };
}

export type ChatRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool';
export const CHAT_ROLES: readonly ChatRole[] = ['system', 'developer', 'user', 'assistant', 'tool'];

/** One chat message in the OpenAI Chat Completions shape, plus optional recorded timestamp and metadata. */
export interface ChatMessage {
  role: ChatRole;
  content: string | null;
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
  /** When the message was recorded (ISO 8601), where known. */
  timestamp?: string;
  metadata?: Record<string, unknown>;
}

/**
 * Splits messages into units that must stay together: an assistant message that calls tools
 * plus the tool results answering it form one unit; every other message is a unit of its own.
 * Trimming history by whole units never leaves a tool result without its call, or the reverse.
 */
export function toolExchangeUnits(messages: readonly ChatMessage[]): ChatMessage[][] {
  const units: ChatMessage[][] = [];
  let open: { unit: ChatMessage[]; pending: Set<string> } | undefined;
  for (const message of messages) {
    if (message.role === 'tool' && open && message.tool_call_id !== undefined && open.pending.has(message.tool_call_id)) {
      open.unit.push(message);
      open.pending.delete(message.tool_call_id);
      continue;
    }
    const unit = [message];
    units.push(unit);
    open = message.role === 'assistant' && message.tool_calls?.length ? { unit, pending: new Set(message.tool_calls.map((c) => c.id)) } : undefined;
  }
  return units;
}

/** Two messages a provider sees alike: the same role, name, content, tool calls and tool_call_id (a message rebuilt from stored rows is a new object). */
export function sameMessage(a: ChatMessage, b: ChatMessage): boolean {
  return (
    a === b ||
    (a.role === b.role && a.content === b.content && a.name === b.name && a.tool_call_id === b.tool_call_id && (a.tool_calls === b.tool_calls || JSON.stringify(a.tool_calls) === JSON.stringify(b.tool_calls)))
  );
}

/** A message as one line of plain text: `role (name): content`, tool calls as `name(arguments)`. */
export function messageToText(message: ChatMessage): string {
  const speaker = message.name ? `${message.role} (${message.name})` : message.role;
  const calls = (message.tool_calls ?? []).map((call) => `${call.function.name}(${call.function.arguments})`);
  const body = [message.content ?? '', ...calls].filter((part) => part.length > 0).join(' ');
  return `${speaker}: ${body}`;
}

/** Objects {@link deepFreeze} froze with everything they hold: known deeply frozen without a walk. */
const deeplyFrozen = new WeakSet<object>();

/**
 * Freezes a value and everything it holds, children first, and returns it. The runner freezes
 * the tool definitions it replays: counts and texts derived from a deeply frozen definition can
 * be kept per object with no check that it changed.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !deeplyFrozen.has(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
    deeplyFrozen.add(value);
  }
  return value;
}

/** Whether a value and everything it holds are frozen, so it can never change. */
export function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || deeplyFrozen.has(value)) return true;
  if (!Object.isFrozen(value)) return false;
  for (const child of Object.values(value)) if (!isDeepFrozen(child)) return false;
  return true;
}

/**
 * Refuses a history a chat API would refuse or misread: not a list, a message that is not an
 * object, an unknown role, content that is neither text nor null, a tool result that answers no
 * earlier call, or a call left unanswered before the next message that is not a tool result.
 * @param where what to name in the message, e.g. `assemble() history`
 * @throws InputError naming the message's index and the fix
 */
export function checkChatHistory(history: unknown, where: string): asserts history is ChatMessage[] {
  if (!Array.isArray(history)) throw new InputError(`${where} must be a list of chat messages, got ${typeof history}`, 'pass the conversation so far as an array of { role, content } messages, oldest first');
  const called = new Set<string>();
  let pending: Set<string> | undefined;
  history.forEach((value: unknown, index) => {
    const message = value as Partial<ChatMessage> | null;
    const at = `${where}[${index}]`;
    if (typeof message !== 'object' || message === null) throw new InputError(`${at} must be a chat message object, got ${JSON.stringify(value)}`, 'pass { role, content } objects');
    if (!CHAT_ROLES.includes(message.role as ChatRole)) throw new InputError(`${at}.role = ${JSON.stringify(message.role)} is not a chat role`, `use one of ${CHAT_ROLES.join(', ')}`);
    if (message.content !== undefined && message.content !== null && typeof message.content !== 'string') {
      throw new InputError(`${at}.content must be text or null, got ${typeof message.content}`, 'pass the message text as a string');
    }
    if (message.role === 'tool') {
      const id = message.tool_call_id;
      if (id === undefined || !called.has(id)) throw new InputError(`${at} is a tool result for ${JSON.stringify(id)}, which no earlier assistant message called`, 'keep each tool result after the assistant message whose tool_calls has its id, or drop both');
      pending?.delete(id);
      return;
    }
    if (pending && pending.size > 0) {
      throw new InputError(`${at} follows an assistant tool call left unanswered (${[...pending].join(', ')})`, 'add the tool result (role tool, tool_call_id) right after the call, or drop the call');
    }
    pending = undefined;
    if (message.role === 'assistant' && message.tool_calls?.length) {
      pending = new Set(message.tool_calls.map((call) => call.id));
      for (const id of pending) called.add(id);
    }
  });
}
