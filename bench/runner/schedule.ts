import { NotStarted } from './lanes.js';

/** How many items may be worked on at once, and how many may wait, done, for an earlier one. */
export interface Limits<T = unknown> {
  /** Items being worked on at once. */
  parallel: number;
  /** Items started and not yet handed on (being worked on or done and waiting): bounds memory. */
  window: number;
  /**
   * What an item weighs towards the window (its turns, say); the window is then the most weight
   * started and not yet handed on, and an item heavier than the whole window still starts alone.
   * @default 1 for every item
   */
  weigh?: (item: T) => number;
  /** Once aborted, no item is started; the ones being worked on finish and are handed on. */
  signal?: AbortSignal;
}

interface Started<T, R> {
  item: T;
  weight: number;
  settled: boolean;
  result?: R;
  error?: unknown;
}

/**
 * Runs `work` over `items` within `limits` and yields the results in item order, however the work
 * finishes. The first failure, in item order, is thrown; the items' iterator is closed at the end.
 */
export async function* inOrder<T, R>(items: AsyncIterable<T>, work: (item: T) => Promise<R>, limits: Limits<T>): AsyncGenerator<{ item: T; result: R }> {
  const started: Array<Started<T, R>> = [];
  const iterator = items[Symbol.asyncIterator]();
  let exhausted = false;
  let running = 0;
  let held = 0;
  const weigh = limits.weigh ?? (() => 1);
  // The next item, pulled but not started because the window was full.
  let waiting: { item: T; weight: number } | undefined;
  let wake = () => {};
  const settle = (entry: Started<T, R>, outcome: Partial<Started<T, R>>) => {
    Object.assign(entry, outcome, { settled: true });
    running--;
    wake();
  };
  try {
    for (;;) {
      // Hand on what is done before starting more, so that an abort there starts nothing new.
      while (started[0]?.settled) {
        const head = started.shift()!;
        held -= head.weight;
        // Work the abort kept from starting ends the results: nothing after it is handed on.
        if ('error' in head) {
          if (head.error instanceof NotStarted && limits.signal?.aborted) return;
          throw head.error;
        }
        yield { item: head.item, result: head.result as R };
      }
      while ((waiting !== undefined || !exhausted) && running < limits.parallel && held < limits.window && !limits.signal?.aborted) {
        if (waiting === undefined) {
          const next = await iterator.next();
          if (next.done) {
            exhausted = true;
            break;
          }
          waiting = { item: next.value, weight: weigh(next.value) };
        }
        if (started.length > 0 && held + waiting.weight > limits.window) break;
        const { item, weight } = waiting;
        waiting = undefined;
        const entry: Started<T, R> = { item, weight, settled: false };
        started.push(entry);
        held += weight;
        running++;
        work(item).then(
          (result) => settle(entry, { result }),
          (error: unknown) => settle(entry, { error }),
        );
      }
      if (started.length === 0) return;
      if (!started[0]!.settled) await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    await iterator.return?.();
  }
}
