/** A tool call made by the assistant, in the OpenAI Chat Completions shape. */
export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
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
