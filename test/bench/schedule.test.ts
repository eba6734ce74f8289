import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
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
});
