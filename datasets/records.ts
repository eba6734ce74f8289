import { readFile } from 'node:fs/promises';
import type { LoadOptions } from '../core/harness/dataset.js';
import type { Episode, SkippedRecord } from '../core/harness/episode.js';
import { z } from 'zod';
import { DataError } from '../core/errors.js';

/** One record of an input file: where it is, and how to check it and turn it into an episode. */
export class InputRecord {
  constructor(
    readonly file: string,
    readonly record: string,
  ) {}

  /** Throws the DataError for `field` of this record. */
  fail(field: string, expected: string, got?: unknown): never {
    throw new DataError(this.file, this.record, field, expected, got);
  }

  /** Fails for a value of the wrong type, saying so plainly when the field is missing. */
  mismatch(field: string, expected: string, value: unknown): never {
    if (value === undefined) this.fail(field, `is missing (it ${expected})`);
    this.fail(field, expected, value);
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

/** Reads a whole text file without its byte-order mark; an unreadable file is a DataError naming it. */
export async function readTextFile(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new DataError(file, 'file', 'path', 'must name a readable file', code);
  }
}

/** Reads and parses a JSON file; unreadable or invalid JSON is a DataError naming it. */
export async function readJsonFile(file: string): Promise<unknown> {
  const text = await readTextFile(file);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DataError(file, 'file', 'contents', 'must be valid JSON', (error as Error).message);
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
 * Converts records in file order until `limit` episodes are kept. A DataError fails the load, or
 * under `lenient` lists the record in `skipped`; duplicate episode ids are malformed records too.
 */
export function collectEpisodes(records: Iterable<PendingRecord>, options: LoadOptions): { episodes: Episode[]; skipped: SkippedRecord[] } {
  const episodes: Episode[] = [];
  const skipped: SkippedRecord[] = [];
  const seen = new Map<string, string>();
  const limit = options.limit ?? Infinity;
  for (const { at, toEpisode } of records) {
    if (episodes.length >= limit) break;
    try {
      const episode = toEpisode();
      const first = seen.get(episode.id);
      if (first !== undefined) at.fail('id', `must be unique, but ${first} has the same id`, episode.id);
      seen.set(episode.id, at.record);
      episodes.push(episode);
    } catch (error) {
      if (!(error instanceof DataError) || !options.lenient) throw error;
      skipped.push({ file: at.file, record: at.record, reason: reasonOf(error, at) });
    }
  }
  return { episodes, skipped };
}

function reasonOf(error: DataError, at: InputRecord): string {
  const summary = error.message.split('\n')[0]!;
  const prefix = `${at.file}: ${at.record}: `;
  return summary.startsWith(prefix) ? summary.slice(prefix.length) : summary;
}
