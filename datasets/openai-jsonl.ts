import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { defineDataset, type EpisodeStream } from '../core/harness/dataset.js';
import { inputFile } from '../core/harness/options.js';
import type { Episode } from '../core/harness/episode.js';
import { checkToolCalls, parseChatMessages, parseToolDefinitions, splitInstructions, turnsFromMessages } from './chat-messages.js';
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
  const id = at.optionalId(metadata.id, 'metadata.id') ?? `${basename(at.file)}:${lineNumber}`;
  const userId = at.optionalId(metadata.user_id, 'metadata.user_id');
  const messages = parseChatMessages(source.messages, at, 'messages');
  checkToolCalls(messages, at, 'messages', id);
  const { instructions, conversation } = splitInstructions(messages);
  return {
    id,
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

/** Why a conversation without an assistant message is left out (and listed in `skipped`, lenient or not). */
const NO_ASSISTANT_MESSAGE = 'messages hold no assistant message: nothing to replay or score, so the conversation is left out';

/**
 * The conversations of the file, one line at a time, through `collector`. A conversation without
 * an assistant message has no turn: it is left out and listed in `skipped`, so the episodes
 * counted are the ones scored (a run refuses a file whose every conversation is skipped).
 */
async function* conversations(options: OpenAiJsonlOptions, collector: EpisodeCollector): AsyncGenerator<Episode> {
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

const newCollector = (options: OpenAiJsonlOptions) => new EpisodeCollector(options, { withoutTurns: NO_ASSISTANT_MESSAGE });

/** Files this process has read whole without an error, by path, size, modification time and options. */
const checkedFiles = new Set<string>();

/**
 * Reads the whole file once, keeping nothing, so that a malformed line anywhere fails before the
 * first conversation is handed out, and so before any replay (a run opens the stream before it
 * replays anything). Later streams of the same unchanged file skip this read; the pass that hands
 * the conversations out checks every line anew all the same.
 */
async function checkWholeFile(options: OpenAiJsonlOptions): Promise<void> {
  const info = await stat(options.file).catch(() => undefined);
  const key = info && JSON.stringify([resolve(options.file), info.size, info.mtimeMs, options.lenient, options.limit]);
  if (key !== undefined && checkedFiles.has(key)) return;
  for await (const episode of conversations(options, newCollector(options))) void episode;
  if (key !== undefined) checkedFiles.add(key);
}

/** The conversations of the file one at a time, after the whole file was checked (see checkWholeFile). */
function streamConversations(options: OpenAiJsonlOptions): EpisodeStream {
  const collector = newCollector(options);
  async function* episodes(): AsyncGenerator<Episode> {
    await checkWholeFile(options);
    yield* conversations(options, collector);
  }
  return { name: DATASET, episodes: episodes(), skipped: collector.skipped };
}

/** Bring your own logs: conversations in the OpenAI fine-tuning chat format, with tool calls and results. */
export const openAiJsonl = defineDataset({
  name: DATASET,
  description: 'your own conversation logs as JSONL in the OpenAI fine-tuning chat format ({"messages": [...]} per line, tool calls included)',
  options: openAiJsonlOptions,
  async load(options) {
    const collector = newCollector(options);
    const loaded: Episode[] = [];
    for await (const episode of conversations(options, collector)) loaded.push(episode);
    return { name: DATASET, episodes: loaded, skipped: collector.skipped };
  },
  stream: streamConversations,
});
