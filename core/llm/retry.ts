/** How long to wait before retry number `attempt` (0-based): exponential backoff with full jitter, capped. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  return Math.min(maxMs, baseMs * 2 ** attempt) * (0.5 + random() / 2);
}

/**
 * The wait a server asked for, in milliseconds: `retry-after-ms`, else `retry-after` in seconds
 * or as an HTTP date. Undefined when it asked for none (or for something unreadable).
 */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  const ms = Number(headers?.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs at most `limit` tasks at once; the rest wait in order. */
export class ConcurrencyLimit {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/**
 * A signal that aborts `ms` after it is made, or as soon as `outer` aborts, whichever comes
 * first. Made from a controller and a timer that holds it, not from
 * `AbortSignal.any([outer, AbortSignal.timeout(ms)])`: Node's timer holds a timeout signal only
 * weakly and `any()` holds its sources weakly too, so a garbage collection while a response body
 * was streaming dropped the deadline and the call hung for ever (seen in CI).
 */
export class Deadline {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private readonly timer: ReturnType<typeof setTimeout>;
  private readonly outer: AbortSignal | undefined;
  private passed = false;

  constructor(ms: number, outer?: AbortSignal | null) {
    this.signal = this.controller.signal;
    this.outer = outer ?? undefined;
    this.timer = setTimeout(() => {
      this.passed = true;
      this.controller.abort(new DOMException(`The operation was aborted due to timeout (${ms} ms)`, 'TimeoutError'));
      this.dispose();
    }, ms);
    // The timer bounds a call; it must not keep a process alive that has nothing else to do.
    this.timer.unref?.();
    if (this.outer?.aborted) this.controller.abort(this.outer.reason);
    else this.outer?.addEventListener('abort', this.onOuterAbort, { once: true });
  }

  /** True when the time ran out (not when `outer` aborted first). */
  get expired(): boolean {
    return this.passed;
  }

  /** Stops the timer and lets go of `outer`; the signal does not abort after this unless it already has. */
  dispose(): void {
    clearTimeout(this.timer);
    this.outer?.removeEventListener('abort', this.onOuterAbort);
  }

  private readonly onOuterAbort = (): void => {
    this.controller.abort(this.outer!.reason);
    this.dispose();
  };
}
