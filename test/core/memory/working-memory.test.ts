import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, InputError, TokenCounter, toolExchangeUnits, type ChatMessage } from '../../../core/index.js';
import type { Summarizer, SummarizeOptions } from '../../../core/memory/summarizer.js';
import { SUMMARY_HEADER, WorkingMemory, type WorkingMemoryOptions } from '../../../core/memory/working-memory.js';

const counter = new TokenCounter({ model: 'gpt-4o' });
const user = (content: string): ChatMessage => ({ role: 'user', content });
const call = (...ids: string[]): ChatMessage => ({
  role: 'assistant',
  content: null,
  tool_calls: ids.map((id) => ({ id, type: 'function', function: { name: 'lookup', arguments: `{"ref":"${id}"}` } })),
});
const result = (id: string, content = `result of ${id}`): ChatMessage => ({ role: 'tool', tool_call_id: id, content });
const memory = (options: WorkingMemoryOptions = {}) => new WorkingMemory({ counter, ...options });

async function addAll(target: WorkingMemory, messages: readonly ChatMessage[]): Promise<void> {
  for (const message of messages) await target.add(message);
}

/** Records what it was asked and answers with a fixed text. */
class RecordingSummarizer implements Summarizer {
  readonly calls: Array<{ messages: readonly ChatMessage[]; options: SummarizeOptions }> = [];
  constructor(private readonly answer: (call: number) => string = (n) => `summary ${n}`) {}
  async summarize(messages: readonly ChatMessage[], options: SummarizeOptions): Promise<string> {
    this.calls.push({ messages, options });
    return this.answer(this.calls.length);
  }
}

describe('working memory bounds', () => {
  it('compacts when the message count crosses maxMessages', async () => {
    const wm = memory({ maxMessages: 4 });
    await addAll(wm, ['a', 'b', 'c', 'd'].map(user));
    expect(wm.compactions).toBe(0);
    await wm.add(user('e'));
    expect(wm.compactions).toBe(1);
    expect(wm.messages.map((m) => m.content)).toEqual(['d', 'e']);
  });

  it('compacts when the kept messages cross the token limit', async () => {
    const wm = memory({ maxMessages: 100, maxTokens: 100 });
    const long = (i: number) => user(`Message ${i}: ${'the parcel is on its way '.repeat(6)}`);
    await addAll(wm, [long(1), long(2)]);
    expect(wm.compactions).toBe(0);
    expect(wm.tokens).toBe(counter.countMessage(long(1)) + counter.countMessage(long(2)));
    await wm.add(long(3));
    expect(wm.compactions).toBe(1);
    expect(wm.messages).toEqual([long(3)]);
    expect(wm.tokens).toBeLessThanOrEqual(50);
  });

  it('keeps the most recent messages exactly as they were added', async () => {
    const wm = memory({ maxMessages: 6 });
    const added = Array.from({ length: 7 }, (_, i) => user(`note ${i}`));
    await addAll(wm, added);
    expect(wm.messages).toHaveLength(3);
    wm.messages.forEach((message, i) => expect(message).toBe(added[4 + i]));
  });

  it('rejects out-of-range options naming the option', () => {
    expect(() => memory({ keepRatio: 1 })).toThrow(ConfigError);
    expect(() => memory({ maxMessages: 0 })).toThrow(/maxMessages = 0/);
  });
});

describe('tool exchanges in compaction', () => {
  it('folds a tool call together with all of its results', async () => {
    const wm = memory({ maxMessages: 4 });
    const compactions = [];
    for (const message of [user('find my orders'), call('c1', 'c2'), result('c1'), result('c2'), user('thanks')]) compactions.push(await wm.add(message));
    expect(compactions.at(-1)!.evicted.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'tool']);
    expect(wm.messages).toEqual([user('thanks')]);
  });

  it('keeps the latest tool exchange whole even when it is larger than the kept share', async () => {
    const wm = memory({ maxMessages: 3 });
    await addAll(wm, [user('look these up'), call('c1', 'c2', 'c3'), result('c1'), result('c2'), result('c3')]);
    expect(wm.messages.map((m) => m.role)).toEqual(['assistant', 'tool', 'tool', 'tool']);
    expect(await wm.compact()).toBeUndefined();
  });

  it('rejects a tool result that answers no pending call', async () => {
    const wm = memory();
    await expect(wm.add(result('ghost'))).rejects.toThrow(InputError);
    await addAll(wm, [call('c1'), result('c1')]);
    await expect(wm.add(result('c1'))).rejects.toThrow(/"c1" answers no pending tool call/);
  });

  type Event = { kind: 'user'; words: number } | { kind: 'tools'; calls: number; words: number; reversed: boolean };
  const event: fc.Arbitrary<Event> = fc.oneof(
    fc.record({ kind: fc.constant('user' as const), words: fc.integer({ min: 1, max: 60 }) }),
    fc.record({ kind: fc.constant('tools' as const), calls: fc.integer({ min: 1, max: 3 }), words: fc.integer({ min: 1, max: 60 }), reversed: fc.boolean() }),
  );
  const scenario = fc.record({
    events: fc.array(event, { maxLength: 25 }),
    maxMessages: fc.integer({ min: 1, max: 8 }),
    maxTokens: fc.integer({ min: 30, max: 400 }),
    keepRatio: fc.constantFrom(0, 0.25, 0.5, 0.75),
  });
  const messagesOf = (e: Event, n: number): ChatMessage[] => {
    if (e.kind === 'user') return [user(`${n}: ${'word '.repeat(e.words)}`)];
    const ids = Array.from({ length: e.calls }, (_, j) => `call_${n}_${j}`);
    const results = ids.map((id) => result(id, `${id} ${'data '.repeat(e.words)}`));
    return [call(...ids), ...(e.reversed ? results.reverse() : results)];
  };
  const scenarioMemory = ({ maxMessages, maxTokens, keepRatio }: { maxMessages: number; maxTokens: number; keepRatio: number }) => memory({ maxMessages, maxTokens, keepRatio, summaryMaxTokens: 40 });

  function orphans(messages: readonly ChatMessage[]): { resultsWithoutCall: string[]; callsWithoutResult: string[] } {
    const callIds = new Set(messages.flatMap((m) => (m.tool_calls ?? []).map((c) => c.id)));
    const resultIds = new Set(messages.flatMap((m) => (m.role === 'tool' ? [m.tool_call_id!] : [])));
    return { resultsWithoutCall: [...resultIds].filter((id) => !callIds.has(id)), callsWithoutResult: [...callIds].filter((id) => !resultIds.has(id)) };
  }

  it('never leaves a tool result without its call, or a finished call without its results (property)', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const wm = scenarioMemory(s);
        for (const [n, e] of s.events.entries()) {
          for (const message of messagesOf(e, n)) {
            await wm.add(message);
            expect(orphans(wm.messages).resultsWithoutCall).toEqual([]);
            expect(wm.needsCompaction() && toolExchangeUnits(wm.messages).length > 1).toBe(false);
          }
          expect(orphans(wm.messages).callsWithoutResult).toEqual([]);
        }
      }),
      { numRuns: 120 },
    );
  });

  it('is append-only between compactions, and a compaction keeps a tail of what was added (property)', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const wm = scenarioMemory(s);
        for (const [n, e] of s.events.entries()) {
          for (const message of messagesOf(e, n)) {
            const before = wm.messages;
            const compactions = wm.compactions;
            await wm.add(message);
            const after = wm.messages;
            const expected = wm.compactions === compactions ? [...before, message] : [...before, message].slice(-after.length);
            expect(after).toHaveLength(expected.length);
            after.forEach((m, i) => expect(m).toBe(expected[i]));
          }
        }
      }),
      { numRuns: 120 },
    );
  });
});

describe('the running summary', () => {
  it('stays within its cap and keeps the ids, amounts and dates of compacted messages', async () => {
    const wm = memory({ maxMessages: 4, summaryMaxTokens: 60 });
    await addAll(wm, [
      user('Hi, my user id is mia_li_3668 and I booked reservation NO6JO3.'),
      { role: 'assistant', content: 'I see a charge of $245.50 on 2024-05-20 for that booking.' },
      ...Array.from({ length: 12 }, (_, i) => user(`Some small talk about the weather, part ${i}.`)),
    ]);
    expect(wm.compactions).toBeGreaterThanOrEqual(3);
    expect(counter.count(wm.summary)).toBeLessThanOrEqual(60);
    for (const entity of ['mia_li_3668', 'NO6JO3', '$245.50', '2024-05-20']) expect(wm.summary).toContain(entity);
  });

  it('hands the summarizer the previous summary and only the compacted messages', async () => {
    const summarizer = new RecordingSummarizer();
    const wm = memory({ maxMessages: 2, keepRatio: 0.5, summarizer, summaryMaxTokens: 77 });
    await addAll(wm, ['a', 'b', 'c', 'd', 'e'].map(user));
    expect(summarizer.calls.map((c) => [c.messages.map((m) => m.content), c.options])).toEqual([
      [['a', 'b'], { previousSummary: '', maxTokens: 77 }],
      [['c', 'd'], { previousSummary: 'summary 1', maxTokens: 77 }],
    ]);
    expect(wm.summary).toBe('summary 2');
  });

  it('caps the answer of a summarizer that overshoots', async () => {
    const wordy = new RecordingSummarizer(() => 'The customer said many things. '.repeat(100));
    const wm = memory({ maxMessages: 1, summarizer: wordy, summaryMaxTokens: 25 });
    await addAll(wm, [user('a'), user('b')]);
    expect(wm.summary.length).toBeGreaterThan(0);
    expect(counter.count(wm.summary)).toBeLessThanOrEqual(25);
  });

  it('keeps messages added while a slow summarizer is still working', async () => {
    let release!: () => void;
    let started!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const summarizing = new Promise<void>((resolve) => (started = resolve));
    const folded: string[][] = [];
    const slow: Summarizer = {
      summarize: async (messages) => {
        folded.push(messages.map((m) => m.content ?? ''));
        started();
        await gate;
        return 'older notes';
      },
    };
    const wm = memory({ maxMessages: 2, summarizer: slow });
    await addAll(wm, [user('a'), user('b')]);
    const compacting = wm.add(user('c'));
    await summarizing;
    const meanwhile = wm.add(user('d'));
    release();
    await Promise.all([compacting, meanwhile]);
    expect(folded).toEqual([['a', 'b'], ['c']]);
    expect(wm.messages.map((m) => m.content)).toEqual(['d']);
  });
});

describe("the running summary with summaryUpdate 'append'", () => {
  it('appends what each compaction folds in while the cap allows, then rewrites the whole summary to keepRatio of the cap', async () => {
    const summarizer = new RecordingSummarizer((n) => `part ${n} ${'x '.repeat(10)}`.trim());
    const wm = memory({ maxMessages: 2, keepRatio: 0.5, summarizer, summaryMaxTokens: 40, summaryUpdate: 'append' });
    const summaries: string[] = [];
    for (const content of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) {
      await wm.add(user(content));
      if (summaries.at(-1) !== wm.summary && wm.summary !== '') summaries.push(wm.summary);
    }
    // Each part alone is summarized without the previous summary; the third would pass the cap.
    expect(summarizer.calls.map((c) => c.options)).toEqual([
      { previousSummary: '', maxTokens: 40 },
      { previousSummary: '', maxTokens: 40 },
      { previousSummary: '', maxTokens: 40 },
      { previousSummary: summaries[1], maxTokens: 20 },
    ]);
    expect(summaries[1]!.startsWith(`${summaries[0]}\n`)).toBe(true);
    expect(summaries[2]).toBe('part 4 x x x x x x x x x x');
    for (const summary of summaries) expect(counter.count(summary)).toBeLessThanOrEqual(40);
  });

  it('keeps every summary within its cap, and each one either extends the one before or was rewritten within keepRatio of the cap (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.lorem({ maxCount: 12 }), { minLength: 1, maxLength: 30 }), fc.integer({ min: 10, max: 80 }), async (texts, cap) => {
        const wm = memory({ maxMessages: 3, summaryMaxTokens: cap, summaryUpdate: 'append' });
        let before = '';
        for (const text of texts) {
          await wm.add(user(text));
          const now = wm.summary;
          expect(counter.count(now)).toBeLessThanOrEqual(cap);
          if (now !== before && before !== '') expect(now.startsWith(before) || counter.count(now) <= Math.floor(cap * 0.5)).toBe(true);
          before = now;
        }
      }),
      { numRuns: 40 },
    );
  });

  it('refuses an unknown summaryUpdate naming the option', () => {
    expect(() => memory({ summaryUpdate: 'merge' as 'append' })).toThrow(ConfigError);
    expect(() => memory({ summaryUpdate: 'merge' as 'append' })).toThrow(/summaryUpdate/);
  });
});

describe('context and persistence', () => {
  it('renders the summary and the recent messages with the exact token count', async () => {
    const wm = memory({ maxMessages: 2, summarizer: new RecordingSummarizer(() => 'Customer wants a refund.') });
    await addAll(wm, [user('first'), user('second'), user('third')]);
    const context = wm.getContext();
    expect(context.summary).toBe('Customer wants a refund.');
    expect(context.messages).toEqual([user('third')]);
    expect(context.text).toBe(`${SUMMARY_HEADER}\nCustomer wants a refund.\n\nuser: third`);
    expect(context.tokens).toBe(counter.count(context.text));
  });

  it('renders only the messages before the first compaction', async () => {
    const wm = memory();
    await wm.add(user('hello'));
    expect(wm.getContext()).toMatchObject({ summary: '', text: 'user: hello' });
  });

  it('restores summary, messages and compaction count from its saved state', async () => {
    const wm = memory({ maxMessages: 3 });
    await addAll(wm, [user('reservation NO6JO3'), user('b'), call('c1'), result('c1'), user('e')]);
    const restored = WorkingMemory.fromJSON(JSON.parse(JSON.stringify(wm)), { counter, maxMessages: 3 });
    expect(restored.toJSON()).toEqual(wm.toJSON());
    expect(restored.tokens).toBe(wm.tokens);
    await restored.add(user('f'));
    expect(restored.compactions).toBe(wm.compactions + 1);
  });

  it('rejects a malformed saved state naming the key', () => {
    expect(() => WorkingMemory.fromJSON({ summary: '', messages: [{ role: 'robot', content: 'x' }], compactions: 0 })).toThrow(/messages\.0\.role/);
    expect(() => WorkingMemory.fromJSON({ summary: '', messages: [], compactions: 0 }, { counter })).not.toThrow();
    expect(() => WorkingMemory.fromJSON(null)).toThrow(InputError);
  });
});

describe('replaying recorded data', () => {
  it('keeps the user id and reservation ids of an early tau-bench tool result in the summary', async () => {
    const trajectories = JSON.parse(readFileSync('datasets/data/tau-bench-airline/gpt-4o-airline.json', 'utf8')) as Array<{ traj: ChatMessage[] }>;
    const conversation = trajectories[0]!.traj.slice(1).map(({ role, content, name, tool_calls, tool_call_id }) => ({ role, content, name, tool_calls, tool_call_id }));
    const wm = memory({ maxMessages: 6, maxTokens: 800, summaryMaxTokens: 150 });
    await addAll(wm, conversation);
    expect(wm.compactions).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(wm.messages)).not.toContain('NO6JO3');
    for (const id of ['mia_li_3668', 'NO6JO3', 'AIXC49', 'HKEG34']) expect(wm.summary).toContain(id);
    expect(counter.count(wm.summary)).toBeLessThanOrEqual(150);
  });
});
