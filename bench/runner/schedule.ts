/** How many items may be worked on at once, and how many may wait, done, for an earlier one. */
export interface Limits {
  /** Items being worked on at once. */
  parallel: number;
  /** Items started and not yet handed on (being worked on or done and waiting): bounds memory. */
  window: number;
  /** Once aborted, no item is started; the ones being worked on finish and are handed on. */
  signal?: AbortSignal;
}

interface Started<T, R> {
  item: T;
  settled: boolean;
  result?: R;
  error?: unknown;
}

/**
 * Runs `work` over `items` within `limits` and yields the results in item order, however the work
 * finishes. The first failure, in item order, is thrown; the items' iterator is closed at the end.
 */
export async function* inOrder<T, R>(items: AsyncIterable<T>, work: (item: T) => Promise<R>, limits: Limits): AsyncGenerator<{ item: T; result: R }> {
  const started: Array<Started<T, R>> = [];
  const iterator = items[Symbol.asyncIterator]();
  let exhausted = false;
  let running = 0;
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
        if ('error' in head) throw head.error;
        yield { item: head.item, result: head.result as R };
      }
      while (!exhausted && running < limits.parallel && started.length < limits.window && !limits.signal?.aborted) {
        const next = await iterator.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        const entry: Started<T, R> = { item: next.value, settled: false };
        started.push(entry);
        running++;
        work(next.value).then(
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
