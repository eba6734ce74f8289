import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes a file atomically: `write` fills a temporary file beside it, which is fsynced (unless
 * `durable` is false) and renamed over `path`, so a crash never leaves half a file. The temporary
 * file is removed when writing fails.
 */
export function writeFileAtomically(path: string, write: (temp: string) => void, durable = true): void {
  const temp = `${path}.tmp-${process.pid}`;
  try {
    write(temp);
    if (durable) {
      const descriptor = openSync(temp, 'r+');
      try {
        fsyncSync(descriptor);
      } finally {
        closeSync(descriptor);
      }
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/** Writes text to a file atomically, creating its directory. */
export function writeTextAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomically(path, (temp) => writeFileSync(temp, text));
}
