import { describe, expect, it } from 'vitest';
import { logProgress, terminalProgress } from '../../bench/progress.js';

describe('progress output', () => {
  it('redraws one terminal line with turns done and an ETA, ending the line when a pair is done', () => {
    let written = '';
    const report = terminalProgress({ write: (text: string) => ((written += text), true) } as unknown as NodeJS.WriteStream);
    report({ dataset: 'locomo', strategy: 'rag', turnsDone: 50, turnsTotal: 100 });
    expect(written).toMatch(/^\r█{12}░{12} locomo × rag: 50\/100 turns, ETA \d+s/);
    report({ dataset: 'locomo', strategy: 'rag', turnsDone: 100, turnsTotal: 100 });
    expect(written.endsWith('\n')).toBe(true);
  });

  it('prints plain lines for logs at most once per interval, and always when a pair finishes', () => {
    const lines: string[] = [];
    const report = logProgress((line) => lines.push(line), 60_000);
    report({ dataset: 'abcd', strategy: 'naive', turnsDone: 1, turnsTotal: 41 });
    report({ dataset: 'abcd', strategy: 'naive', turnsDone: 2, turnsTotal: 41 });
    report({ dataset: 'abcd', strategy: 'naive', turnsDone: 41, turnsTotal: 41 });
    expect(lines).toEqual(['progress: abcd × naive: 1/41 turns', 'progress: abcd × naive: 41/41 turns']);
  });
});
