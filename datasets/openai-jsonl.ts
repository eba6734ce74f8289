import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineDataset, type LoadOptions } from '../core/harness/dataset.js';
import type { Episode } from '../core/harness/episode.js';
import { parseChatMessages, parseToolDefinitions, splitInstructions, turnsFromMessages } from './chat-messages.js';
import { checkLoadOptions, collectEpisodes, InputRecord, readTextFile, type PendingRecord } from './records.js';

/** A JSONL file of conversations in the OpenAI fine-tuning chat format, one `{"messages": [...]}` per line. */
export interface OpenAiJsonlOptions extends LoadOptions {
  /** The JSONL file. @default the bundled example.jsonl (four synthetic conversations) */
  file: string;
}

const DATASET = 'openai-jsonl';

function parseLine(at: InputRecord, line: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    at.fail('line', 'must be one JSON object (one conversation per line)', (error as Error).message);
  }
  return at.object(value, 'line');
}

function toEpisode(at: InputRecord, line: string, lineNumber: number): Episode {
  const source = parseLine(at, line);
  const tools = source.tools === undefined ? undefined : parseToolDefinitions(source.tools, at, 'tools');
  if (source.parallel_tool_calls !== undefined && typeof source.parallel_tool_calls !== 'boolean') {
    at.fail('parallel_tool_calls', 'must be true or false', source.parallel_tool_calls);
  }
  const metadata = source.metadata === undefined ? {} : at.object(source.metadata, 'metadata');
  const id = at.optionalId(metadata.id, 'metadata.id');
  const userId = at.optionalId(metadata.user_id, 'metadata.user_id');
  const { instructions, conversation } = splitInstructions(parseChatMessages(source.messages, at, 'messages'));
  return {
    id: id ?? `${basename(at.file)}:${lineNumber}`,
    dataset: DATASET,
    userId: userId ?? `line-${lineNumber}`,
    systemPrompt: instructions,
    messages: conversation,
    ...(tools ? { tools } : {}),
    knowledge: [],
    turns: turnsFromMessages(conversation),
    metadata: { ...metadata, line: lineNumber },
  };
}

/** Bring your own logs: conversations in the OpenAI fine-tuning chat format, with tool calls and results. */
export const openAiJsonl = defineDataset<OpenAiJsonlOptions>({
  name: DATASET,
  description: 'your own conversation logs as JSONL in the OpenAI fine-tuning chat format ({"messages": [...]} per line, tool calls included)',
  defaults: () => ({ file: fileURLToPath(new URL('./data/openai-jsonl/example.jsonl', import.meta.url)) }),
  async load(options) {
    checkLoadOptions(options, ['file']);
    const text = await readTextFile(options.file);
    const pending: PendingRecord[] = [];
    text.split(/\r?\n/).forEach((line, index) => {
      if (line.trim() === '') return;
      const at = new InputRecord(options.file, `line ${index + 1}`);
      pending.push({ at, toEpisode: () => toEpisode(at, line, index + 1) });
    });
    return { name: DATASET, ...collectEpisodes(pending, options) };
  },
});
