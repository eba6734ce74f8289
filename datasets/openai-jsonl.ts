import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { defineDataset, type EpisodeStream } from '../core/harness/dataset.js';
import { inputFile } from '../core/harness/options.js';
import type { Episode } from '../core/harness/episode.js';
import { parseChatMessages, parseToolDefinitions, splitInstructions, turnsFromMessages } from './chat-messages.js';
import { EpisodeCollector, loadOptionFields, InputRecord, readTextLines } from './records.js';

/** A JSONL file of conversations in the OpenAI fine-tuning chat format, one `{"messages": [...]}` per line. */
const openAiJsonlOptions = z
  .object({
    file: inputFile('the JSONL file, one {"messages": [...]} per line', fileURLToPath(new URL('./data/openai-jsonl/example.jsonl', import.meta.url))),
    ...loadOptionFields,
  })
  .strict();

/** Options of the OpenAI chat JSONL loader. */
export type OpenAiJsonlOptions = z.output<typeof openAiJsonlOptions>;

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
    turns: turnsFromMessages(conversation, '', { replyFacts: true }),
    metadata: { ...metadata, line: lineNumber },
  };
}

/** The conversations of the file, one line at a time. */
function streamConversations(options: OpenAiJsonlOptions): EpisodeStream {
  const collector = new EpisodeCollector(options);
  async function* episodes(): AsyncGenerator<Episode> {
    let lineNumber = 0;
    for await (const line of readTextLines(options.file)) {
      const number = ++lineNumber;
      if (line.trim() === '') continue;
      if (collector.full) return;
      const at = new InputRecord(options.file, `line ${number}`);
      const episode = collector.accept({ at, toEpisode: () => toEpisode(at, line, number) });
      if (episode) yield episode;
    }
  }
  return { name: DATASET, episodes: episodes(), skipped: collector.skipped };
}

/** Bring your own logs: conversations in the OpenAI fine-tuning chat format, with tool calls and results. */
export const openAiJsonl = defineDataset({
  name: DATASET,
  description: 'your own conversation logs as JSONL in the OpenAI fine-tuning chat format ({"messages": [...]} per line, tool calls included)',
  options: openAiJsonlOptions,
  async load(options) {
    const { name, episodes, skipped } = streamConversations(options);
    const loaded: Episode[] = [];
    for await (const episode of episodes) loaded.push(episode);
    return { name, episodes: loaded, skipped };
  },
  stream: streamConversations,
});
