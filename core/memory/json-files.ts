import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { CtxbenchError } from '../errors.js';
import { firstIssue } from '../validation.js';
import { writeTextAtomically } from '../fs.js';

/** A persisted memory file is unreadable or malformed; names the file. */
export class CorruptStoreError extends CtxbenchError {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super('E_CORRUPT_STORE', `${file}: ${problem}`, 'restore the file from a backup, or delete it to drop what it held');
  }
}

/** Reads and validates a JSON file of a memory store. @throws CorruptStoreError naming the file and the problem. */
export function readStoreJson<T>(file: string, schema: z.ZodType<T>): T {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CorruptStoreError(file, `is not valid JSON (${(error as Error).message})`);
  }
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issue = firstIssue(data, parsed.error);
  throw new CorruptStoreError(file, `${issue.key} ${issue.problem}`);
}

/** Writes a JSON file of a memory store atomically (temp file, fsync, rename). */
export function writeStoreJson(file: string, value: unknown, indent?: number): void {
  writeTextAtomically(file, `${JSON.stringify(value, null, indent)}\n`);
}
