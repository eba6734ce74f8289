import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LaneDispatcher, NotStarted } from '../../bench/runner/lanes.js';
import { inOrder } from '../../bench/runner/schedule.js';

async function* numbers(count: number, pulled: number[] = []): AsyncGenerator<number> {
  for (let i = 0; i < count; i++) {
    pulled.push(i);
    yield i;
  }
}

const after = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

async function collect<T>(results: AsyncIterable<{ result: T }>): Promise<T[]> {
  const out: T[] = [];
  for await (const { result } of results) out.push(result);
  return out;
}

describe('in-order scheduling', () => {
  it('yields results in item order whatever order the work finishes in', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 20 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 8 }), async (delays, parallel, window) => {
        const results = await collect(inOrder(numbers(delays.length), (i) => after(delays[i]!, i * 10), { parallel, window }));
        expect(results).toEqual(delays.map((_, i) => i * 10));
      }),
      { numRuns: 30 },
    );
  });

  it('never works on more items at once than allowed, nor starts more than the window ahead', async () => {
    let running = 0;
    let most = 0;
    const pulled: number[] = [];
    let yielded = 0;
    let furthestAhead = 0;
    const work = async (i: number) => {
      running++;
      most = Math.max(most, running);
      furthestAhead = Math.max(furthestAhead, pulled.length - yielded);
      await after(i % 3, null);
      running--;
      return i;
    };
    for await (const _ of inOrder(numbers(30, pulled), work, { parallel: 2, window: 5 })) yielded++;
    expect(yielded).toBe(30);
    expect(most).toBe(2);
    expect(furthestAhead).toBeLessThanOrEqual(5);
  });

  it('starts nothing once aborted and still hands on what was being worked on', async () => {
    const controller = new AbortController();
    const pulled: number[] = [];
    const finish: Array<() => void> = [];
    const work = (i: number) => new Promise<number>((resolve) => finish.push(() => resolve(i)));
    const results: number[] = [];
    const consumed = (async () => {
      for await (const { result } of inOrder(numbers(100, pulled), work, { parallel: 3, window: 10, signal: controller.signal })) {
        results.push(result);
        controller.abort();
        finish.slice(1).forEach((done) => done());
      }
    })();
    await after(5, null);
    finish[0]!();
    await consumed;
    expect(pulled).toEqual([0, 1, 2]);
    expect(results).toEqual(pulled);
  });

  it('throws the first failure in item order and closes the items', async () => {
    let closed = false;
    async function* items() {
      try {
        yield* [0, 1, 2, 3];
      } finally {
        closed = true;
      }
    }
    const work = (i: number) => (i === 1 ? after(5, i).then(() => Promise.reject(new Error('episode 1 failed'))) : i === 2 ? Promise.reject(new Error('episode 2 failed')) : after(0, i));
    await expect(collect(inOrder(items(), work, { parallel: 4, window: 4 }))).rejects.toThrow('episode 1 failed');
    expect(closed).toBe(true);
  });

  it('holds at most the window of weight started and not handed on, and starts an item heavier than the window alone', async () => {
    const weights = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5];
    let held = 0;
    let most = 0;
    let alone = true;
    const work = async (i: number) => {
      held += weights[i]!;
      if (weights[i]! > 6 && held !== weights[i]) alone = false;
      most = Math.max(most, held);
      await after(i % 3, null);
      return i;
    };
    const results: number[] = [];
    for await (const { result } of inOrder(numbers(weights.length), work, { parallel: Infinity, window: 6, weigh: (i) => weights[i]! })) {
      results.push(result);
      held -= weights[result]!;
    }
    expect(results).toEqual(weights.map((_, i) => i));
    expect(most).toBeLessThanOrEqual(9);
    expect(alone).toBe(true);
  });

  it('ends the results at the first item an abort kept from starting', async () => {
    const controller = new AbortController();
    // All five start; the third is the one the abort kept back; the two after it finish but are not handed on.
    const work = (i: number) => (i < 2 ? after(5, i) : i === 2 ? after(1, null).then(() => (controller.abort(), Promise.reject(new NotStarted()))) : after(0, i));
    expect(await collect(inOrder(numbers(5), work, { parallel: 5, window: 5, signal: controller.signal }))).toEqual([0, 1]);
  });

  it('throws a not-started item as a failure when nothing was aborted', async () => {
    await expect(collect(inOrder(numbers(3), (i) => (i === 1 ? Promise.reject(new NotStarted()) : after(0, i)), { parallel: 3, window: 3 }))).rejects.toThrow(NotStarted);
  });
});

describe('lanes', () => {
  /** A lane that records which jobs it ran and finishes each when told. */
  function lane(name: string, log: string[], pending: Array<() => void>) {
    return (job: string) =>
      new Promise<string>((resolve) => {
        log.push(`${name}:${job}`);
        pending.push(() => resolve(`${job} on ${name}`));
      });
  }
  const flush = () => new Promise((resolve) => setImmediate(resolve));

  it('keeps a group on the lane it started on while the other lane has work of its own', async () => {
    const log: string[] = [];
    const pending: Array<() => void> = [];
    const lanes = new LaneDispatcher([lane('A', log, pending), lane('B', log, pending)]);
    const results = [
      lanes.submit({ group: 'p', size: 1, job: 'p1' }),
      lanes.submit({ group: 'q', size: 1, job: 'q1' }),
      lanes.submit({ group: 'p', size: 1, job: 'p2' }),
      lanes.submit({ group: 'q', size: 1, job: 'q2' }),
      lanes.submit({ group: 'p', size: 1, job: 'p3' }),
    ];
    while (pending.length > 0) {
      pending.shift()!();
      await flush();
    }
    expect(await Promise.all(results)).toEqual(['p1 on A', 'q1 on B', 'p2 on A', 'q2 on B', 'p3 on A']);
  });

  it('lets an idle lane take a group it already runs, but not set up another group before it is known to pay', async () => {
    const log: string[] = [];
    const pending: Array<() => void> = [];
    const lanes = new LaneDispatcher([lane('A', log, pending), lane('B', log, pending)]);
    const all = ['p1', 'p2', 'p3', 'p4'].map((job) => lanes.submit({ group: 'p', size: 1, job }));
    all.push(lanes.submit({ group: 'q', size: 1, job: 'q1' }));
    // B finishes q1 and finds only group p queued on A, whose cost nobody knows yet: it waits.
    pending.splice(1, 1)[0]!();
    await flush();
    expect(log).toEqual(['A:p1', 'B:q1']);
    while (pending.length > 0) {
      pending.shift()!();
      await flush();
    }
    await Promise.all(all);
    expect(log.filter((entry) => entry.startsWith('B:'))).toEqual(['B:q1']);
  });

  it('rejects what was queued when the run is aborted, and finishes what runs', async () => {
    const controller = new AbortController();
    const log: string[] = [];
    const pending: Array<() => void> = [];
    const lanes = new LaneDispatcher([lane('A', log, pending)], controller.signal);
    const first = lanes.submit({ group: 'p', size: 1, job: 'p1' });
    const second = lanes.submit({ group: 'p', size: 1, job: 'p2' });
    controller.abort();
    await expect(second).rejects.toThrow(NotStarted);
    pending.shift()!();
    expect(await first).toBe('p1 on A');
    await expect(lanes.submit({ group: 'p', size: 1, job: 'p3' })).rejects.toThrow(NotStarted);
    expect(log).toEqual(['A:p1']);
  });
});
