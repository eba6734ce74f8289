import { createHash } from 'node:crypto';
import { readFile, realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { defineDataset } from '../core/harness/dataset.js';
import { inputFile, optionalInputFile } from '../core/harness/options.js';
import type { Episode } from '../core/harness/episode.js';
import { ConfigError, DataError } from '../core/errors.js';
import type { LabelledExample } from '../core/routing/classifier.js';
import { intentProfileFromExamples } from '../core/routing/intent-profile.js';
import { collectEpisodes, loadOptionFields, InputRecord, readTextFile, type PendingRecord } from './records.js';

/** A CSV of single-turn banking queries with header `text,category` (the intent label). */
const banking77Options = z
  .object({
    file: inputFile('the CSV (header text,category) whose rows are replayed', fileURLToPath(new URL('./data/banking77/train.csv', import.meta.url))),
    trainFile: optionalInputFile('a CSV of the same shape whose rows train the router; then every row of file is replayed'),
    // Without trainFile, routing is never scored on its own training data.
    holdout: z.number().int('must be a whole number').min(2, 'must be 2 or more').default(5).describe('without trainFile: replay every holdout-th row of file, train the router on the others'),
    ...loadOptionFields,
  })
  .strict();

/** Options of the banking77 loader. */
export type Banking77Options = z.output<typeof banking77Options>;

const DATASET = 'banking77';
const COLUMNS = ['text', 'category'] as const;
const SYSTEM_PROMPT = 'You are a banking customer-support agent. Work out what the customer needs and help them with their card, account or payment.';

interface CsvRow {
  record: string[];
  info: { lines: number };
}

function parseCsv(file: string, text: string): CsvRow[] {
  try {
    return parse(text, { info: true, relax_column_count: true, skip_empty_lines: true, trim: true }) as unknown as CsvRow[];
  } catch (error) {
    const { lines, message } = error as { lines?: number; message: string };
    throw new DataError(file, lines === undefined ? 'file' : `line ${lines}`, 'contents', 'must be valid CSV', message);
  }
}

/** Column positions of `text` and `category`; the header must name exactly those two, in either order. */
function columnsOf(file: string, header: string[] | undefined): { text: number; category: number } {
  const found = header ?? [];
  const matches = found.length === COLUMNS.length && COLUMNS.every((name) => found.includes(name));
  if (!matches) {
    const got = header === undefined ? undefined : found.join(',');
    throw new DataError(file, 'header', 'columns', `must be exactly "${COLUMNS.join(',')}" (in either order)`, got);
  }
  return { text: found.indexOf('text'), category: found.indexOf('category') };
}

function toEpisode(at: InputRecord, row: number, record: string[], columns: { text: number; category: number }): Episode {
  if (record.length !== COLUMNS.length) at.fail('columns', `must be ${COLUMNS.length} (${COLUMNS.join(', ')})`, record.length);
  const text = at.nonEmptyString(record[columns.text], 'text');
  const category = at.nonEmptyString(record[columns.category], 'category');
  return {
    id: `${DATASET}:${row}`,
    dataset: DATASET,
    userId: `${DATASET}-user-${row}`,
    systemPrompt: SYSTEM_PROMPT,
    messages: [],
    knowledge: [],
    turns: [{ at: 0, query: text, probes: [{ kind: 'intent', expected: category }] }],
  };
}

/** banking77: single-turn banking queries labelled with one of 77 intents, for routing accuracy. */
export const banking77 = defineDataset({
  name: DATASET,
  description: 'banking77: single-turn online-banking queries, each labelled with one of 77 intents (CC BY 4.0, PolyAI)',
  options: banking77Options,
  async load(options) {
    const holdout = options.holdout;
    if (options.trainFile !== undefined) await refuseReplayedTraining(options.file, options.trainFile);
    const rows = await readRows(options.file);
    const isReplayed = (index: number) => options.trainFile !== undefined || (index + 1) % holdout === 0;
    const replayed = collectEpisodes(rows.filter((row) => isReplayed(row.index)).map((row) => row.pending), options);
    const trainingRows = options.trainFile ? await readRows(options.trainFile) : rows.filter((row) => !isReplayed(row.index));
    const training = collectEpisodes(trainingRows.map((row) => row.pending), { lenient: options.lenient });
    const examples = labelledExamples(training.episodes);
    // A router needs at least two intents to choose between.
    const intentProfile = new Set(examples.map((e) => e.label)).size >= 2 ? intentProfileFromExamples(DATASET, `banking77 intents learned from ${examples.length} labelled queries`, examples) : undefined;
    const skipped = [...replayed.skipped, ...training.skipped].filter((record, i, all) => all.findIndex((r) => r.file === record.file && r.record === record.record) === i);
    return { name: DATASET, episodes: replayed.episodes.map((episode) => ({ ...episode, intentProfile })), skipped };
  },
});

/** Each query with its intent, as a labelled example. */
function labelledExamples(episodes: readonly Episode[]): LabelledExample[] {
  return episodes.flatMap(({ turns: [turn] }) => turn!.probes.flatMap((probe) => (probe.kind === 'intent' ? [{ text: turn!.query!, label: probe.expected }] : [])));
}

/**
 * Every row of a `text,category` CSV as a labelled example, in file order, for training or
 * evaluating a router outside a replay; a malformed row is a DataError, as in the loader.
 */
export async function readBanking77Examples(file: string): Promise<LabelledExample[]> {
  const { episodes } = collectEpisodes((await readRows(file)).map((row) => row.pending), {});
  return labelledExamples(episodes);
}

/**
 * Refuses a training file that is the replayed file: the same path once links and relative parts
 * are resolved, or the same bytes under another path. With trainFile every row of file is
 * replayed, so each replayed query would also train the router (without trainFile, file is split
 * into disjoint replayed and training rows by holdout, and nothing leaks).
 */
async function refuseReplayedTraining(file: string, trainFile: string): Promise<void> {
  const fix = 'the router must never learn from the queries it is scored on: pass a training CSV of another split as trainFile, or leave trainFile out to replay every holdout-th row of file and train on the others';
  const [replayedPath, trainingPath] = await Promise.all([canonicalPath(file), canonicalPath(trainFile)]);
  if (replayedPath === trainingPath) {
    const message = file === trainFile ? `${trainFile} is both replayed (file) and trains the router (trainFile)` : `trainFile ${trainFile} is the replayed file ${file} (both are ${replayedPath}), so every replayed query also trains the router`;
    throw new ConfigError(`banking77: ${message}`, fix);
  }
  const [replayedSize, trainingSize] = await Promise.all([sizeOf(file), sizeOf(trainFile)]);
  if (replayedSize === undefined || replayedSize !== trainingSize) return;
  const [replayedHash, trainingHash] = await Promise.all([sha256Of(file), sha256Of(trainFile)]);
  if (replayedHash !== undefined && replayedHash === trainingHash) {
    throw new ConfigError(`banking77: trainFile ${trainFile} holds the same bytes as file ${file} (sha256 ${replayedHash.slice(0, 12)}), so every replayed query also trains the router`, fix);
  }
}

/** The path with links and relative parts resolved; as given, resolved, when it cannot be read (reading it fails later, naming it). */
async function canonicalPath(file: string): Promise<string> {
  return realpath(file).catch(() => resolve(file));
}

/** The size of a regular file; undefined for anything else or what cannot be read (reading it fails later, naming it). */
async function sizeOf(file: string): Promise<number | undefined> {
  const info = await stat(file).catch(() => undefined);
  return info?.isFile() ? info.size : undefined;
}

async function sha256Of(file: string): Promise<string | undefined> {
  const bytes = await readFile(file).catch(() => undefined);
  return bytes && createHash('sha256').update(bytes).digest('hex');
}

/** Every row of a `text,category` CSV, validated lazily (so lenient mode can skip bad rows). */
async function readRows(file: string): Promise<Array<{ index: number; pending: PendingRecord }>> {
  const [header, ...rows] = parseCsv(file, await readTextFile(file));
  const columns = columnsOf(file, header?.record);
  return rows.map(({ record, info }, index) => {
    const at = new InputRecord(file, `row ${index + 1} (line ${info.lines})`);
    return { index, pending: { at, toEpisode: () => toEpisode(at, index + 1, record, columns) } };
  });
}
