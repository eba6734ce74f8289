import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../core/index.js';

function statOf(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** The nearest existing ancestor must be a writable directory (the rest is created on write). */
function checkCreatable(path: string, flag: string, what: string): void {
  let current = dirname(path);
  for (;;) {
    const stat = statOf(current);
    if (stat) {
      if (!stat.isDirectory()) throw new ConfigError(`${flag} ${path}: ${current} is a file, so the ${what} cannot be created under it`, `choose a ${what} path that is not under a file`);
      try {
        accessSync(current, constants.W_OK);
      } catch {
        throw new ConfigError(`${flag} ${path}: ${current} is not writable`, `choose a ${what} path you can write to`);
      }
      return;
    }
    const parent = dirname(current);
    if (parent === current) return;
    current = parent;
  }
}

/**
 * Checks that `dir` can hold the reports before anything runs: it is a writable directory or can be
 * created as one.
 * @throws ConfigError naming the flag, the path and the fix
 */
export function checkOutputDirectory(dir: string, flag = '-o'): void {
  const path = resolve(dir);
  const stat = statOf(path);
  if (stat && !stat.isDirectory()) throw new ConfigError(`${flag} ${dir} is a file, not a directory`, 'pass a directory (it is created when missing)');
  if (stat) {
    try {
      accessSync(path, constants.W_OK);
    } catch {
      throw new ConfigError(`${flag} ${dir} is not writable`, 'pass a directory you can write to');
    }
    return;
  }
  checkCreatable(path, flag, 'output directory');
}

/**
 * Checks that a file can be written at `file` before anything runs: not a directory, and its
 * directory exists or can be created.
 * @throws ConfigError naming the flag, the path and the fix
 */
export function checkOutputFile(file: string, flag: string): void {
  const path = resolve(file);
  const stat = statOf(path);
  if (stat?.isDirectory()) throw new ConfigError(`${flag} ${file} is a directory`, 'pass a file path');
  checkCreatable(path, flag, 'file');
}
