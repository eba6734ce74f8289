import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomically, writeTextAtomically, type RunResult } from '../core/index.js';
import type { TurnLog } from './turn-log.js';

/** Writes a report file atomically (temporary file + rename), so a crash never leaves half a report. */
export function writeFileAtomic(path: string, content: string): void {
  writeTextAtomically(path, content);
}
/** Writes a report file atomically from content produced in chunks (see writeFileAtomic). */
export function writeChunksAtomic(path: string, content: (write: (chunk: string) => void) => void): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomically(path, (temp) => {
    const descriptor = openSync(temp, 'w');
    try {
      content((chunk) => writeSync(descriptor, chunk));
    } finally {
      closeSync(descriptor);
    }
  });
}

/** The result as stable, indented JSON. */
export function resultJson(result: RunResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

/** The result with the rows of a turn log as its `turns`, written a row at a time: the same text as `resultJson`. */
export function writeResultJson(result: RunResult, log: TurnLog, write: (chunk: string) => void): void {
  // The rows go where the runner puts them: right before `interrupted`.
  const { interrupted, ...rest } = result;
  const text = resultJson({ ...rest, turns: [], interrupted });
  const at = text.indexOf(TURNS_KEY);
  write(text.slice(0, at + TURNS_KEY.length - 2));
  if (log.count === 0) write('[]');
  else {
    let separator = '[';
    log.forEach((row) => {
      write(`${separator}\n    ${JSON.stringify(row, null, 2).replaceAll('\n', '\n    ')}`);
      separator = ',';
    });
    write('\n  ]');
  }
  write(text.slice(at + TURNS_KEY.length));
}

/** Where the empty turns sit in the indented result (top-level keys are indented by two spaces). */
const TURNS_KEY = '\n  "turns": []';
