import type { Progress } from './runner/run.js';

/** Progress on a terminal: one line redrawn in place, with turns done and an ETA. */
export function terminalProgress(stream: NodeJS.WriteStream): (progress: Progress) => void {
  let pairStarted = Date.now();
  let pair = '';
  return ({ dataset, strategy, turnsDone, turnsTotal }) => {
    const key = `${dataset} × ${strategy}`;
    if (key !== pair) {
      pair = key;
      pairStarted = Date.now();
    }
    if (turnsTotal === undefined) {
      stream.write(`\r${key}: ${turnsDone} turns (reading the dataset for the first time)\u001b[K`);
      return;
    }
    const share = turnsTotal === 0 ? 1 : turnsDone / turnsTotal;
    const elapsed = (Date.now() - pairStarted) / 1000;
    const eta = share > 0 ? Math.max(0, elapsed / share - elapsed) : 0;
    const width = 24;
    const bar = '█'.repeat(Math.round(share * width)).padEnd(width, '░');
    stream.write(`\r${bar} ${key}: ${turnsDone}/${turnsTotal} turns, ETA ${eta.toFixed(0)}s\u001b[K`);
    if (turnsDone === turnsTotal) stream.write('\n');
  };
}

/** Progress for logs (CI): a plain line when a pair finishes and at most every `intervalMs` otherwise. */
export function logProgress(write: (line: string) => void, intervalMs = 5000): (progress: Progress) => void {
  let last = 0;
  return ({ dataset, strategy, turnsDone, turnsTotal }) => {
    const now = Date.now();
    if (turnsDone !== turnsTotal && now - last < intervalMs) return;
    last = now;
    write(`progress: ${dataset} × ${strategy}: ${turnsDone}/${turnsTotal ?? '?'} turns`);
  };
}
