import type { RunResult } from '../core/index.js';
import { writeTextAtomically } from '../core/index.js';

/** Writes a report file atomically (temporary file + rename), so a crash never leaves half a report. */
export function writeFileAtomic(path: string, content: string): void {
  writeTextAtomically(path, content);
}
/** The result as stable, indented JSON. */
export function resultJson(result: RunResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}
