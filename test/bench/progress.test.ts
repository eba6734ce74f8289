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

  it('shows turns done without a total or an end while a streamed dataset is read for the first time', () => {
    let written = '';
    const terminal = terminalProgress({ write: (text: string) => ((written += text), true) } as unknown as NodeJS.WriteStream);
    terminal({ dataset: 'openai-jsonl', strategy: 'naive', turnsDone: 30, turnsTotal: undefined });
    expect(written).toBe('\ropenai-jsonl × naive: 30 turns (reading the dataset for the first time)\u001b[K');
    const lines: string[] = [];
    const log = logProgress((line) => lines.push(line), 60_000);
    log({ dataset: 'openai-jsonl', strategy: 'naive', turnsDone: 30, turnsTotal: undefined });
    log({ dataset: 'openai-jsonl', strategy: 'naive', turnsDone: 60, turnsTotal: undefined });
    expect(lines).toEqual(['progress: openai-jsonl × naive: 30/? turns']);
  });
});
