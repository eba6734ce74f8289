import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { extname, isAbsolute, relative, resolve } from 'node:path';
import { DataError, type InputFileRecord } from '../../core/index.js';

/**
 * Counts the records of a file as it streams past, by its format: JSON lines, CSV/TSV rows after
 * the header, top-level entries of a JSON array or object; other files (markdown) have none.
 */
interface RecordCounter {
  push(text: string): void;
  readonly records: number | null;
}

function lineCounter(headerLines: number, quote: string | null): RecordCounter {
  let lines = 0;
  let blank = true;
  let quoted = false;
  return {
    push(text) {
      for (const char of text) {
        if (quote !== null && char === quote) quoted = !quoted;
        if (char === '\n' && !quoted) {
          if (!blank) lines++;
          blank = true;
        } else if (char.trim() !== '') {
          blank = false;
        }
      }
    },
    get records() {
      return Math.max(0, lines + (blank ? 0 : 1) - headerLines);
    },
  };
}

/** Top-level entries of a JSON array or object: commas at depth 1 outside strings, plus one when not empty. */
function jsonCounter(): RecordCounter {
  let depth = 0;
  let inString = false;
  let escaped = false;
  let commas = 0;
  let hasEntry = false;
  let topLevelContainer = false;
  return {
    push(text) {
      for (const char of text) {
        if (inString) {
          if (escaped) escaped = false;
          else if (char === '\\') escaped = true;
          else if (char === '"') inString = false;
          continue;
        }
        if (char === '"') {
          inString = true;
          if (depth === 1) hasEntry = true;
        } else if (char === '[' || char === '{') {
          if (depth === 0) topLevelContainer = true;
          else if (depth === 1) hasEntry = true;
          depth++;
        } else if (char === ']' || char === '}') {
          depth--;
        } else if (char === ',' && depth === 1) {
          commas++;
        } else if (depth === 1 && char.trim() !== '') {
          hasEntry = true;
        }
      }
    },
    get records() {
      if (!topLevelContainer) return null;
      return hasEntry ? commas + 1 : 0;
    },
  };
}

function counterFor(file: string): RecordCounter {
  const extension = extname(file).toLowerCase();
  if (extension === '.jsonl' || extension === '.ndjson') return lineCounter(0, null);
  if (extension === '.csv') return lineCounter(1, '"');
  if (extension === '.tsv') return lineCounter(1, null);
  if (extension === '.json') return jsonCounter();
  return { push: () => undefined, records: null };
}

/**
 * Counts invalid UTF-8 sequences in a byte stream (a state machine over the bytes, so a sequence
 * split across chunks is judged whole) and the line of the first one.
 */
class Utf8Check {
  invalid = 0;
  firstInvalidLine: number | null = null;
  private line = 1;
  private pending = 0;
  private lowerBound = 0x80;
  private upperBound = 0xbf;

  push(bytes: Uint8Array): void {
    for (const byte of bytes) {
      if (this.pending > 0) {
        if (byte >= this.lowerBound && byte <= this.upperBound) {
          this.pending--;
          this.lowerBound = 0x80;
          this.upperBound = 0xbf;
          continue;
        }
        this.fail();
      }
      if (byte === 0x0a) this.line++;
      if (byte < 0x80) continue;
      if (byte >= 0xc2 && byte <= 0xdf) this.pending = 1;
      else if (byte >= 0xe0 && byte <= 0xef) {
        this.pending = 2;
        if (byte === 0xe0) this.lowerBound = 0xa0;
        if (byte === 0xed) this.upperBound = 0x9f;
      } else if (byte >= 0xf0 && byte <= 0xf4) {
        this.pending = 3;
        if (byte === 0xf0) this.lowerBound = 0x90;
        if (byte === 0xf4) this.upperBound = 0x8f;
      } else this.fail();
    }
  }

  end(): void {
    if (this.pending > 0) this.fail();
  }

  private fail(): void {
    this.invalid++;
    this.firstInvalidLine ??= this.line;
    this.pending = 0;
    this.lowerBound = 0x80;
    this.upperBound = 0xbf;
  }
}

/** The path as recorded in a result: relative to the working directory when inside it, so results compare across checkouts. */
export function recordedPath(file: string, cwd = process.cwd()): string {
  const path = relative(cwd, resolve(cwd, file));
  return path.startsWith('..') || isAbsolute(path) ? resolve(cwd, file) : path;
}

/**
 * Reads an input file once, streaming: its SHA-256, size and record count, checking that it is a
 * readable, non-empty UTF-8 file. Invalid UTF-8 is a DataError, or under `lenient` a count in the record.
 * @throws DataError naming the file
 */
export async function describeInputFile(option: string, file: string, lenient: boolean): Promise<InputFileRecord> {
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new DataError(file, 'file', 'path', `must name a file (option ${option})`, 'a directory', `pass the path of a file as ${option}, not a folder`);
    size = stat.size;
  } catch (error) {
    if (error instanceof DataError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const problem = code === 'ENOENT' ? 'no such file (ENOENT)' : code === 'EACCES' ? 'not readable (EACCES)' : (code ?? String(error));
    // Not a malformed record: lenient (which skips records) cannot help, so the fix does not offer it.
    throw new DataError(file, 'file', 'path', `must name a readable file (option ${option})`, problem, `correct the path given as ${option} (relative paths are read from the working directory, ${process.cwd()})`);
  }
  const hash = createHash('sha256');
  const counter = counterFor(file);
  const utf8 = new Utf8Check();
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of createReadStream(file)) {
    const bytes = chunk as Buffer;
    hash.update(bytes);
    utf8.push(bytes);
    counter.push(decoder.decode(bytes, { stream: true }));
  }
  counter.push(decoder.decode());
  utf8.end();
  const records = counter.records;
  if (size === 0 || records === 0) {
    throw new DataError(file, 'file', 'contents', `must hold at least one record (option ${option}), but the file is ${size === 0 ? 'empty' : 'without records'}`, undefined, `pass the file that holds the records, or leave option ${option} out to use the bundled copy`);
  }
  if (utf8.invalid > 0 && !lenient) {
    throw new DataError(
      file,
      `line ${utf8.firstInvalidLine}`,
      'bytes',
      `must be UTF-8 (${utf8.invalid} invalid byte sequence${utf8.invalid === 1 ? '' : 's'} in the file)`,
      undefined,
      'convert the file to UTF-8 (iconv -f latin1 -t utf-8), or set the dataset option lenient to true to read them as U+FFFD, counted in the result',
    );
  }
  return { option, path: recordedPath(file), sha256: hash.digest('hex'), bytes: size, records, ...(utf8.invalid > 0 ? { invalidUtf8: utf8.invalid } : {}) };
}
