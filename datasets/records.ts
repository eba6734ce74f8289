import { open, readFile } from 'node:fs/promises';
import type { LoadOptions } from '../core/harness/dataset.js';
import type { Episode, SkippedRecord } from '../core/harness/episode.js';
import { z } from 'zod';
import { DataError, didYouMean } from '../core/errors.js';

/** One record of an input file: where it is, and how to check it and turn it into an episode. */
export class InputRecord {
  constructor(
    readonly file: string,
    readonly record: string,
  ) {}

  /** Throws the DataError for `field` of this record; `fix` says how to correct it (skipping it under `lenient` is added). */
  fail(field: string, expected: string, got?: unknown, fix?: string): never {
    // lenient skips a malformed record, never a whole file: a file-level error does not offer it.
    if (this.record === 'file' || this.record === 'folder') throw new DataError(this.file, this.record, field, expected, got, fix ?? 'correct the file: it is read whole, so lenient cannot skip this');
    throw new DataError(this.file, this.record, field, expected, got, fix === undefined ? undefined : orSkip(fix));
  }

  /** Fails for a value of the wrong type, saying so plainly when the field is missing. */
  mismatch(field: string, expected: string, value: unknown): never {
    if (value === undefined) this.fail(field, `is missing (it ${expected})`);
    this.fail(field, expected, value);
  }

  /** Fails for a key of `record` that is not one of `keys` (a misspelt "service_cal" would drop the call unseen). */
  knownKeys(record: Record<string, unknown>, field: string, keys: readonly string[]): void {
    for (const key of Object.keys(record)) {
      if (!keys.includes(key)) this.fail(field === '' ? key : `${field}.${key}`, `is not a field of this format (${keys.join(', ')})`, undefined, didYouMean(key, keys));
    }
  }

  object(value: unknown, field: string): Record<string, unknown> {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) this.mismatch(field, 'must be an object', value);
    return value as Record<string, unknown>;
  }

  array(value: unknown, field: string): unknown[] {
    if (!Array.isArray(value)) this.mismatch(field, 'must be an array', value);
    return value;
  }

  string(value: unknown, field: string): string {
    if (typeof value !== 'string') this.mismatch(field, 'must be a string', value);
    return value;
  }

  nonEmptyString(value: unknown, field: string): string {
    if (typeof value !== 'string' || value.trim() === '') this.mismatch(field, 'must be a non-empty string', value);
    return value;
  }

  number(value: unknown, field: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) this.mismatch(field, 'must be a number', value);
    return value;
  }

  integer(value: unknown, field: string): number {
    if (!Number.isInteger(value)) this.mismatch(field, 'must be an integer', value);
    return value as number;
  }

  /** A string or a number given as an identifier, as a string; `undefined` when absent. */
  optionalId(value: unknown, field: string): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    return this.nonEmptyString(value, field);
  }
}

/** A record's own fix, followed by the way out every malformed record has: skipping it under `lenient` (as DataError's default fix says). */
function orSkip(fix: string): string {
  return `${fix}; or set the dataset option lenient to true to skip malformed records (config: { name, options: { lenient: true } }; command line: -d <dataset>:lenient=true)`;
}

/** Reads a whole text file without its byte-order mark; an unreadable file is a DataError naming it. */
export async function readTextFile(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  } catch (error) {
    throw unreadable(file, error);
  }
}

function unreadable(file: string, error: unknown): DataError {
  return new DataError(file, 'file', 'path', 'must name a readable file', (error as NodeJS.ErrnoException).code ?? String(error));
}

/**
 * Reads a text file line by line (split at \n, a trailing \r dropped, the byte-order mark
 * removed), holding one chunk at a time; an unreadable file is a DataError naming it.
 */
export async function* readTextLines(file: string): AsyncGenerator<string> {
  let handle;
  try {
    handle = await open(file);
  } catch (error) {
    throw unreadable(file, error);
  }
  const stream = handle.createReadStream({ encoding: 'utf8' });
  try {
    let rest = '';
    let first = true;
    for await (const chunk of chunks(stream, file)) {
      const text = first ? chunk.replace(/^\uFEFF/, '') : chunk;
      first = false;
      const lines = (rest + text).split('\n');
      rest = lines.pop()!;
      for (const line of lines) yield line.endsWith('\r') ? line.slice(0, -1) : line;
    }
    yield rest;
  } finally {
    stream.destroy();
    await handle.close().catch(() => undefined);
  }
}

/** A read stream's chunks; a read error (a directory, a vanished file) is a DataError naming the file. */
async function* chunks(stream: AsyncIterable<unknown>, file: string): AsyncGenerator<string> {
  try {
    for await (const chunk of stream) yield chunk as string;
  } catch (error) {
    throw unreadable(file, error);
  }
}

/** Reads and parses a JSON file; unreadable or invalid JSON is a DataError naming it. */
export async function readJsonFile(file: string): Promise<unknown> {
  const text = await readTextFile(file);
  try {
    return JSON.parse(text);
  } catch (error) {
    // A file-level error: lenient skips records, never a whole file, so the fix does not offer it.
    throw new DataError(file, 'file', 'contents', 'must be valid JSON', (error as Error).message, 'correct the file (a JSON editor or `node -e "JSON.parse(require(\'fs\').readFileSync(process.argv[1], \'utf8\'))" <file>` shows where it breaks)');
  }
}

/** The options every loader takes besides its input files. */
export const loadOptionFields = {
  lenient: z.boolean().default(false).describe('skip malformed records (listed in the result) instead of failing'),
  limit: z.number().int('must be a whole number').min(0, 'must be 0 or more').optional().describe('keep at most this many episodes, in file order (--limit sets it)'),
};

/** A record waiting to be converted: its location, and the conversion that may throw a DataError. */
export interface PendingRecord {
  at: InputRecord;
  toEpisode(): Episode;
}

/**
 * Converts records in file order, one at a time, until `limit` episodes are kept. A DataError
 * fails the load, or under `lenient` lists the record in `skipped`; duplicate episode ids are
 * malformed records too.
 */
export class EpisodeCollector {
  readonly skipped: SkippedRecord[] = [];
  private readonly seen = new Map<string, string>();
  private kept = 0;

  /**
   * An episode with no turn (nothing to replay or score: a dialogue of customer turns only) is not
   * kept but listed in `skipped` with the reason `withoutTurns`, lenient or not, so the episodes
   * counted are the ones scored (they were counted, and left out of every score, unlisted).
   */
  constructor(
    private readonly options: LoadOptions,
    private readonly rules: { withoutTurns: string } = { withoutTurns: 'it has no agent turn to replay or score' },
  ) {}

  /** Whether `limit` episodes are kept already. */
  get full(): boolean {
    return this.kept >= (this.options.limit ?? Infinity);
  }

  /** The record's episode, or undefined when it was skipped. */
  accept({ at, toEpisode }: PendingRecord): Episode | undefined {
    try {
      const episode = toEpisode();
      const first = this.seen.get(episode.id);
      if (first !== undefined) at.fail('id', `must be unique, but ${first} has the same id`, episode.id);
      this.seen.set(episode.id, at.record);
      if (episode.turns.length === 0) {
        this.skipped.push({ file: at.file, record: at.record, reason: this.rules.withoutTurns });
        return undefined;
      }
      this.kept++;
      return episode;
    } catch (error) {
      if (!(error instanceof DataError) || !this.options.lenient) throw error;
      this.skipped.push({ file: at.file, record: at.record, reason: reasonOf(error, at) });
      return undefined;
    }
  }
}

/** Converts all records at once (see EpisodeCollector). */
export function collectEpisodes(records: Iterable<PendingRecord>, options: LoadOptions): { episodes: Episode[]; skipped: SkippedRecord[] } {
  const collector = new EpisodeCollector(options);
  const episodes: Episode[] = [];
  for (const record of records) {
    if (collector.full) break;
    const episode = collector.accept(record);
    if (episode) episodes.push(episode);
  }
  return { episodes, skipped: collector.skipped };
}

function reasonOf(error: DataError, at: InputRecord): string {
  const summary = error.message.split('\n')[0]!;
  const prefix = `${at.file}: ${at.record}: `;
  return summary.startsWith(prefix) ? summary.slice(prefix.length) : summary;
}
