import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../core/index.js';
import { turnsCsv, writeTurnsCsv } from '../../reports/csv.js';
import { REPORT_WRITERS } from '../../reports/index.js';
import { resultJson, writeResultJson } from '../../reports/json.js';
import { TurnLog } from '../../reports/turn-log.js';
import { replaySynthetic } from '../bench/results.js';

const chunks = (produce: (write: (chunk: string) => void) => void) => {
  let text = '';
  produce((chunk) => (text += chunk));
  return text;
};

describe('reports from a turn log', () => {
  let result: RunResult;
  let log: TurnLog;
  beforeAll(async () => {
    result = await replaySynthetic();
    log = new TurnLog(join(mkdtempSync(join(tmpdir(), 'ctxbench-turn-log-')), 'turns.jsonl'));
    // Appended per episode, as the runner hands them on.
    const rows = result.turns!;
    for (let i = 0; i < rows.length; i += 7) log.append(rows.slice(i, i + 7));
  });

  it('gives back every row in order', () => {
    expect(log.count).toBe(result.turns!.length);
    expect(log.all()).toEqual(result.turns);
  });

  it('writes the same result.json as the rows in memory', () => {
    const { turns: _turns, ...withoutTurns } = result;
    expect(chunks((write) => writeResultJson(withoutTurns, log, write))).toBe(resultJson(result));
  });

  it('writes an empty turns list as the rows in memory would', () => {
    const empty = new TurnLog(join(mkdtempSync(join(tmpdir(), 'ctxbench-turn-log-')), 'turns.jsonl'));
    const { turns: _turns, ...withoutTurns } = result;
    expect(chunks((write) => writeResultJson(withoutTurns, empty, write))).toBe(resultJson({ ...result, turns: [] }));
    empty.remove();
  });

  it('writes the same turns.csv as the rows in memory', () => {
    expect(chunks((write) => writeTurnsCsv(log, write))).toBe(turnsCsv(result));
  });

  it('writes every format with a log as without one', () => {
    const { turns: _turns, ...withoutTurns } = result;
    for (const writer of REPORT_WRITERS) {
      if (!writer.writeWithLog) continue;
      const streamed = Object.fromEntries(Object.entries(writer.writeWithLog(withoutTurns, log)).map(([file, content]) => [file, chunks(content)]));
      expect(streamed).toEqual(writer.write(result));
    }
  });
});
