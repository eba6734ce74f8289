import type { CustomerRecord, FactProbe, KnowledgeDocument, Turn } from '../core/harness/episode.js';
import { factProbesFromReplies, factProbesFromToolCalls } from '../core/harness/facts.js';
import { CHAT_ROLES, type ChatMessage, type ChatRole, type ToolCall, type ToolDefinition } from '../core/messages.js';
import type { InputRecord } from './records.js';

/**
 * Validates recorded messages in the OpenAI Chat Completions shape and normalizes them to
 * ChatMessage, dropping provider-specific fields. Every tool message must answer a tool call of
 * an earlier assistant message. `field` names the array in errors, e.g. `messages[3].role`.
 */
export function parseChatMessages(value: unknown, at: InputRecord, field: string): ChatMessage[] {
  const entries = at.array(value, field);
  if (entries.length === 0) at.fail(field, 'must hold at least one message', entries);
  const callIds = new Set<string>();
  return entries.map((entry, index) => {
    const message = parseChatMessage(entry, at, `${field}[${index}]`, callIds);
    for (const call of message.tool_calls ?? []) callIds.add(call.id);
    return message;
  });
}

function parseChatMessage(entry: unknown, at: InputRecord, field: string, callIds: ReadonlySet<string>): ChatMessage {
  const source = at.object(entry, field);
  const role = source.role as ChatRole;
  if (!CHAT_ROLES.includes(role)) at.mismatch(`${field}.role`, `must be one of ${CHAT_ROLES.join(', ')}`, source.role);
  const message: ChatMessage = { role, content: parseContent(source.content, role, at, `${field}.content`) };
  if (source.name !== undefined) message.name = at.string(source.name, `${field}.name`);
  if (source.tool_calls !== undefined) {
    if (role !== 'assistant') at.fail(`${field}.tool_calls`, 'are only allowed on assistant messages', source.tool_calls);
    const calls = at.array(source.tool_calls, `${field}.tool_calls`).map((call, index) => parseToolCall(call, at, `${field}.tool_calls[${index}]`));
    if (calls.length > 0) message.tool_calls = calls;
  }
  if (role === 'tool') {
    const callId = at.nonEmptyString(source.tool_call_id, `${field}.tool_call_id`);
    if (!callIds.has(callId)) at.fail(`${field}.tool_call_id`, 'must be the id of a tool call made by an earlier assistant message', callId);
    message.tool_call_id = callId;
  }
  return message;
}

/** Text content: a string, an array of text parts (joined), or null/absent on assistant messages. */
function parseContent(value: unknown, role: ChatRole, at: InputRecord, field: string): string | null {
  if (typeof value === 'string') return value;
  if ((value === null || value === undefined) && role === 'assistant') return null;
  if (!Array.isArray(value)) {
    const expected = role === 'assistant' ? 'must be a string, null or an array of text parts' : 'must be a string or an array of text parts';
    at.mismatch(field, expected, value);
  }
  return value
    .map((part, index) => {
      const source = at.object(part, `${field}[${index}]`);
      if (source.type !== 'text') at.fail(`${field}[${index}].type`, 'must be "text" (only text content is supported)', source.type);
      return at.string(source.text, `${field}[${index}].text`);
    })
    .join('');
}

function parseToolCall(value: unknown, at: InputRecord, field: string): ToolCall {
  const source = at.object(value, field);
  if (source.type !== undefined && source.type !== 'function') at.fail(`${field}.type`, 'must be "function"', source.type);
  const fn = at.object(source.function, `${field}.function`);
  return {
    id: at.nonEmptyString(source.id, `${field}.id`),
    type: 'function',
    function: { name: at.nonEmptyString(fn.name, `${field}.function.name`), arguments: at.string(fn.arguments, `${field}.function.arguments`) },
  };
}

/**
 * Checks that the tool calls of a recorded conversation pair up as OpenAI's chat format pairs
 * them: the arguments of each call are JSON, the calls of one message have distinct ids, and
 * every call is answered by a later tool message carrying its id (a tool message answers the
 * latest call with its id). `field` names the parsed messages' array, `conversation` the
 * conversation, in errors.
 *
 * One unanswered call is legitimate: a conversation may end on a tool call whose result is not
 * recorded yet. OpenAI's fine-tuning examples of tool calling end on such a call, while its Chat
 * Completions API refuses a call not followed by its tool message anywhere else in a conversation.
 * So calls of the conversation's last assistant message may stay unanswered when nothing but
 * tool messages follows it; any other unanswered call is refused, since the replay would score a
 * context that never received the result the recorded agent went on from.
 */
export function checkToolCalls(messages: readonly ChatMessage[], at: InputRecord, field: string, conversation: string): void {
  const callField = (message: number, call: number) => `${field}[${message}].tool_calls[${call}]`;
  const inConversation = `in conversation "${conversation}"`;
  const unanswered = (id: string, { message, call }: { message: number; call: number }, why: string): never =>
    at.fail(
      `${callField(message, call)}.id`,
      `must be answered by a later tool message with tool_call_id "${id}" ${inConversation}, but ${why} (only the calls of a conversation's last assistant message may wait for results not recorded yet)`,
      id,
      `add the tool message {"role": "tool", "tool_call_id": "${id}", "content": "<the result>"} right after that assistant message, or end the conversation at that call`,
    );
  const pending = new Map<string, { message: number; call: number }>();
  messages.forEach((message, index) => {
    if (message.role === 'tool') {
      pending.delete(message.tool_call_id!);
      return;
    }
    const ids = new Map<string, number>();
    (message.tool_calls ?? []).forEach((call, callIndex) => {
      const twin = ids.get(call.id);
      if (twin !== undefined) {
        at.fail(`${callField(index, callIndex)}.id`, `must be unique among the tool calls of its message, but tool_calls[${twin}] has the same id ${inConversation}`, call.id, 'give each tool call of a message its own id, and each tool message the id of the call it answers');
      }
      ids.set(call.id, callIndex);
      try {
        JSON.parse(call.function.arguments);
      } catch (error) {
        at.fail(
          `${callField(index, callIndex)}.function.arguments`,
          `must be valid JSON (the arguments of tool call "${call.id}" ${inConversation}: ${(error as Error).message})`,
          call.function.arguments,
          'write the arguments as a JSON object in a string, e.g. "{\\"order_id\\": \\"A-1001\\"}" ("{}" for a call without arguments)',
        );
      }
      const earlier = pending.get(call.id);
      if (earlier) unanswered(call.id, earlier, `${field}[${index}] calls the same id again first`);
      pending.set(call.id, { message: index, call: callIndex });
    });
  });
  const last = messages.findLastIndex((message) => message.role !== 'tool');
  for (const [id, call] of pending) if (call.message !== last) unanswered(id, call, `no tool message answers it and ${field}[${last}] comes after it`);
}

/** Validates tool definitions in the OpenAI `tools` shape: `{ type: 'function', function: { name, description?, parameters? } }`. */
export function parseToolDefinitions(value: unknown, at: InputRecord, field: string): ToolDefinition[] {
  const names = new Set<string>();
  return at.array(value, field).map((entry, index) => {
    const where = `${field}[${index}]`;
    const source = at.object(entry, where);
    if (source.type !== 'function') at.mismatch(`${where}.type`, 'must be "function"', source.type);
    const fn = at.object(source.function, `${where}.function`);
    const name = at.nonEmptyString(fn.name, `${where}.function.name`);
    if (names.has(name)) at.fail(`${where}.function.name`, 'must be unique among the tools', name);
    names.add(name);
    const tool: ToolDefinition = { type: 'function', function: { name } };
    if (fn.description !== undefined) tool.function.description = at.string(fn.description, `${where}.function.description`);
    if (fn.parameters !== undefined) tool.function.parameters = at.object(fn.parameters, `${where}.function.parameters`);
    if (fn.strict !== undefined) {
      if (typeof fn.strict !== 'boolean') at.fail(`${where}.function.strict`, 'must be true or false', fn.strict);
      tool.function.strict = fn.strict;
    }
    return tool;
  });
}

/** Splits off the leading system/developer messages: their joined text, and the conversation after them. */
export function splitInstructions(messages: readonly ChatMessage[]): { instructions: string; conversation: ChatMessage[] } {
  const firstTurn = messages.findIndex((message) => message.role !== 'system' && message.role !== 'developer');
  const cut = firstTurn === -1 ? messages.length : firstTurn;
  const instructions = messages
    .slice(0, cut)
    .map((message) => message.content ?? '')
    .join('\n\n');
  return { instructions, conversation: messages.slice(cut) };
}

/** What the agent had from the start, as text for fact origins: the customer record and the knowledge. */
export function availableFromStart(customer: CustomerRecord | undefined, knowledge: readonly KnowledgeDocument[]): string {
  return [customer ? JSON.stringify([customer.profile, customer.records]) : '', ...knowledge.map((doc) => doc.text)].join('\n');
}

/** One turn per recorded assistant message, carrying that message's fact probe when it has one (its tool-call arguments; with `replyFacts`, also the earlier values its reply repeats). */
export function turnsFromMessages(messages: readonly ChatMessage[], available = '', options: { replyFacts?: boolean } = {}): Turn[] {
  const factProbes = factProbesFromToolCalls(messages, available);
  const replyProbes = options.replyFacts ? factProbesFromReplies(messages, available) : new Map<number, FactProbe>();
  const turns: Turn[] = [];
  messages.forEach((message, index) => {
    if (message.role !== 'assistant') return;
    const facts = [...(factProbes.get(index)?.facts ?? []), ...(replyProbes.get(index)?.facts ?? [])].filter((fact, i, all) => all.findIndex((other) => other.value === fact.value) === i);
    turns.push({ at: index, probes: facts.length > 0 ? [{ kind: 'fact', facts }] : [] });
  });
  return turns;
}
