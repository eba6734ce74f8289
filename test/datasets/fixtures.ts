import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { DataError } from '../../core/index.js';

/** Fixture files of one suite, in a fresh directory under the OS temp dir that is removed after the suite. */
export interface FixtureDir {
  readonly dir: string;
  /** Writes a file (strings as they are, anything else as JSON), creating folders, and returns its path. */
  write(name: string, content: unknown): string;
}

/** A fixture directory named after `prefix`; call at the top level of a test file. */
export function fixtureDir(prefix: string): FixtureDir {
  const dir = mkdtempSync(join(tmpdir(), `ctxbench-${prefix}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    write(name, content) {
      const path = join(dir, name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
      return path;
    },
  };
}

/** Awaits a load that must fail with a DataError naming this file, record and field; returns the error. */
export async function expectDataError(load: Promise<unknown>, where: { file: string; record: string; field: string }): Promise<DataError> {
  const error: unknown = await load.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(DataError);
  const dataError = error as DataError;
  expect(dataError).toMatchObject(where);
  expect(dataError.message).toContain(`${where.file}: ${where.record}: ${where.field} `);
  return dataError;
}
