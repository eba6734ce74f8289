import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
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
    return match !== null && (REPORT_FILES.has(match[1]!) || match[1] === REPORT_MANIFEST);
  });
}

/** A file's content: text, or a function that writes it in chunks (reports written from a turn log). */
type Content = string | ((write: (chunk: string) => void) => void);

/** Writes `content` to `path` and syncs it; returns its SHA-256 (hex). */
function writeDurably(path: string, content: Content): string {
  const hash = createHash('sha256');
  const descriptor = openSync(path, 'w');
  try {
    const write = (chunk: string) => {
      writeSync(descriptor, chunk);
      hash.update(chunk);
    };
    if (typeof content === 'string') write(content);
    else content(write);
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
  return hash.digest('hex');
}

/** Beside the reports: the name and SHA-256 of every report file ctxbench wrote there. */
export const REPORT_MANIFEST = '.ctxbench-reports.json';

/** Hashes already taken, by path, size and modification time: `run` checks the output directory before replaying and again before writing, and result.json can be 50 MB. */
const hashes = new Map<string, string>();

function sha256Of(path: string): string {
  const { size, mtimeMs } = statSync(path);
  const key = `${resolve(path)}\u0000${size}\u0000${mtimeMs}`;
  let sha = hashes.get(key);
  if (sha === undefined) {
    sha = createHash('sha256').update(readFileSync(path)).digest('hex');
    hashes.set(key, sha);
  }
  return sha;
}

/** Whether `path` begins like a result.json that ctxbench wrote (read: its first 512 bytes). */
function looksLikeResult(path: string): boolean {
  let descriptor: number | undefined;
  try {
    descriptor = openSync(path, 'r');
    const head = Buffer.alloc(512);
    const text = head.subarray(0, readSync(descriptor, head, 0, 512, 0)).toString('utf8');
    return /^\{\s*"schemaVersion"\s*:/.test(text) && text.includes('"ctxbenchVersion"');
  } catch {
    return false;
  } finally {
    if (descriptor !== undefined) closeSync(descriptor);
  }
}

/**
 * The report files of `dir` ctxbench wrote, by name, with the SHA-256 they had then (`null`: a
 * directory written before the manifest existed, whose result.json is ctxbench's, is trusted whole).
 */
function ownedReports(dir: string): Map<string, string | null> {
  const manifest = join(dir, REPORT_MANIFEST);
  if (existsSync(manifest)) {
    try {
      const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { files?: unknown };
      const files = parsed?.files && typeof parsed.files === 'object' ? Object.entries(parsed.files as Record<string, unknown>) : [];
      return new Map(files.filter(([name, sha]) => REPORT_FILES.has(name) && typeof sha === 'string').map(([name, sha]) => [name, sha as string]));
    } catch {
      return new Map();
    }
  }
  if (!looksLikeResult(join(dir, 'result.json'))) return new Map();
  return new Map([...REPORT_FILES].filter((name) => existsSync(join(dir, name))).map((name) => [name, null]));
}

/**
 * Checks, before any work, that writing `formats` into `dir` (and, with `replace`, removing the
 * other report files there) touches only files ctxbench wrote and nobody changed since, and none
 * of `inputs` (files the command reads: a merge's shards, a dataset file).
 * @throws ConfigError naming the file and the fix
 */
export function checkReportTarget(dir: string, formats: readonly string[], replace: boolean, inputs: readonly string[] = []): void {
  const touched = REPORT_WRITERS.filter((writer) => replace || formats.includes(writer.name)).flatMap((writer) => writer.files);
  const reading = new Set(inputs.map((input) => resolve(input)));
  const owned = ownedReports(dir);
  for (const name of touched) {
    const path = join(dir, name);
    const verb = REPORT_WRITERS.some((writer) => formats.includes(writer.name) && writer.files.includes(name)) ? 'overwrite' : 'remove';
    if (reading.has(resolve(path))) {
      throw new ConfigError(`${path} is an input of this command, and writing the reports into ${dir} would ${verb} it`, 'pass another output directory (-o)');
    }
    if (!existsSync(path)) continue;
    const sha = owned.get(name);
    if (sha === undefined) {
      throw new ConfigError(`${path} was not written by ctxbench, and writing the reports into ${dir} would ${verb} it`, `move the file away or pass another output directory (-o)`);
    }
    if (sha !== null && sha256Of(path) !== sha) {
      throw new ConfigError(`${path} changed since ctxbench wrote it, and writing the reports into ${dir} would ${verb} it`, `move the file away or pass another output directory (-o)`);
    }
  }
}

/**
 * Writes the chosen formats of a result into `dir` as one set: every file goes to a temporary
 * first, then all are renamed into place, so a failure leaves the previous set. With `replace`,
 * report files of an earlier run that this set does not include are removed (a new result never
 * sits beside an old summary). Only files ctxbench wrote there, unchanged since, are overwritten
 * or removed ({@link checkReportTarget}; the manifest {@link REPORT_MANIFEST} records them).
 * Temporaries a killed earlier write left behind are removed first. With a turn log, writers that
 * can write per-turn rows from it a row at a time do so.
 * @returns the paths written
 */
export function writeReportSet(result: RunResult, dir: string, formats: readonly string[], replace: boolean, log?: TurnLog, inputs: readonly string[] = []): string[] {
  checkFormats(formats);
  checkReportTarget(dir, formats, replace, inputs);
  const owned = ownedReports(dir);
  for (const name of staleTemporaries(dir)) rmSync(join(dir, name), { force: true });
  const files: Array<[string, Content]> = REPORT_WRITERS.filter((writer) => formats.includes(writer.name)).flatMap((writer) =>
    log && writer.writeWithLog ? Object.entries<Content>(writer.writeWithLog(result, log)) : Object.entries<Content>(writer.write(result)),
  );
  mkdirSync(dir, { recursive: true });
  const staged: Array<{ name: string; temp: string; path: string; sha: string }> = [];
  try {
    for (const [name, content] of files) {
      const path = join(dir, name);
      const temp = `${path}.tmp-${process.pid}`;
      staged.push({ name, temp, path, sha: '' });
      staged[staged.length - 1]!.sha = writeDurably(temp, content);
    }
  } catch (error) {
    for (const { temp } of staged) rmSync(temp, { force: true });
    throw error;
  }
  for (const { temp, path } of staged) renameSync(temp, path);
  const written = new Map(staged.map(({ name, sha }) => [name, sha]));
  const kept = new Map<string, string>();
  for (const [name, sha] of owned) {
    if (written.has(name) || !existsSync(join(dir, name))) continue;
    if (replace) rmSync(join(dir, name), { force: true });
    else kept.set(name, sha ?? sha256Of(join(dir, name)));
  }
  const manifest = join(dir, REPORT_MANIFEST);
  const temp = `${manifest}.tmp-${process.pid}`;
  writeDurably(temp, `${JSON.stringify({ format: 'ctxbench-report-set', version: 1, files: Object.fromEntries([...kept, ...written]) }, null, 2)}\n`);
  renameSync(temp, manifest);
  return staged.map(({ path }) => path);
}
