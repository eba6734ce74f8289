import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, didYouMean, type RunResult } from '../core/index.js';
import { REPORT_WRITERS } from '../reports/index.js';
import type { TurnLog } from '../reports/turn-log.js';

/** The report formats, by name. */
export const REPORT_FORMATS = REPORT_WRITERS.map((writer) => writer.name);

/**
 * Checks report format names before anything runs.
 * @throws ConfigError with a "did you mean" and the known formats
 */
export function checkFormats(formats: readonly string[]): void {
  for (const format of formats) {
    if (!REPORT_FORMATS.includes(format)) throw new ConfigError(`unknown report format "${format}"`, didYouMean(format, REPORT_FORMATS));
  }
}

const REPORT_FILES = new Set(REPORT_WRITERS.flatMap((writer) => writer.files));

/** Temporaries a killed write left beside the reports (`result.json.tmp-<pid>`). */
function staleTemporaries(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((name) => {
    const match = /^(.+)\.tmp-\d+$/.exec(name);
    return match !== null && REPORT_FILES.has(match[1]!);
  });
}

/** A file's content: text, or a function that writes it in chunks (reports written from a turn log). */
type Content = string | ((write: (chunk: string) => void) => void);

function writeDurably(path: string, content: Content): void {
  const descriptor = openSync(path, 'w');
  try {
    if (typeof content === 'string') writeSync(descriptor, content);
    else content((chunk) => writeSync(descriptor, chunk));
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
}

/**
 * Writes the chosen formats of a result into `dir` as one set: every file goes to a temporary
 * first, then all are renamed into place, so a failure leaves the previous set. With `replace`,
 * report files of an earlier run that this set does not include are removed (a new result never
 * sits beside an old summary). Temporaries a killed earlier write left behind are removed first.
 * With a turn log, writers that can write per-turn rows from it a row at a time do so.
 * @returns the paths written
 */
export function writeReportSet(result: RunResult, dir: string, formats: readonly string[], replace: boolean, log?: TurnLog): string[] {
  checkFormats(formats);
  for (const name of staleTemporaries(dir)) rmSync(join(dir, name), { force: true });
  const files: Array<[string, Content]> = REPORT_WRITERS.filter((writer) => formats.includes(writer.name)).flatMap((writer) =>
    log && writer.writeWithLog ? Object.entries<Content>(writer.writeWithLog(result, log)) : Object.entries<Content>(writer.write(result)),
  );
  mkdirSync(dir, { recursive: true });
  const staged: Array<{ temp: string; path: string }> = [];
  try {
    for (const [name, content] of files) {
      const path = join(dir, name);
      const temp = `${path}.tmp-${process.pid}`;
      staged.push({ temp, path });
      writeDurably(temp, content);
    }
  } catch (error) {
    for (const { temp } of staged) rmSync(temp, { force: true });
    throw error;
  }
  for (const { temp, path } of staged) renameSync(temp, path);
  if (replace) {
    const written = new Set(files.map(([name]) => name));
    for (const name of REPORT_FILES) if (!written.has(name)) rmSync(join(dir, name), { force: true });
  }
  return staged.map(({ path }) => path);
}
