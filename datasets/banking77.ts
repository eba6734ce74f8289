import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { defineDataset, type LoadOptions } from '../core/harness/dataset.js';
import type { Episode } from '../core/harness/episode.js';
import { DataError } from '../core/errors.js';
import { checkLoadOptions, collectEpisodes, InputRecord, readTextFile, type PendingRecord } from './records.js';

/** A CSV of single-turn banking queries with header `text,category` (the intent label). */
export interface Banking77Options extends LoadOptions {
  /** The CSV file. @default the bundled train.csv */
  file: string;
}

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
export const banking77 = defineDataset<Banking77Options>({
  name: DATASET,
  description: 'banking77: single-turn online-banking queries, each labelled with one of 77 intents (CC BY 4.0, PolyAI)',
  defaults: () => ({ file: fileURLToPath(new URL('./data/banking77/train.csv', import.meta.url)) }),
  async load(options) {
    checkLoadOptions(options, ['file']);
    const [header, ...rows] = parseCsv(options.file, await readTextFile(options.file));
    const columns = columnsOf(options.file, header?.record);
    const pending = rows.map(({ record, info }, index): PendingRecord => {
      const at = new InputRecord(options.file, `row ${index + 1} (line ${info.lines})`);
      return { at, toEpisode: () => toEpisode(at, index + 1, record, columns) };
    });
    return { name: DATASET, ...collectEpisodes(pending, options) };
  },
});
