import { describe, expect, it } from 'vitest';
import { RunningSummary, sharedCounter, type ChatMessage, type Summarizer } from '../../../core/index.js';

const counter = sharedCounter('gpt-4o');
const units: ChatMessage[][] = Array.from({ length: 8 }, (_, i) => [{ role: 'user', content: `message ${i}` }]);

/** Records what it is given and answers after `delayMs`, the summary being every message it saw so far. */
function recordingSummarizer(delayMs = 0): Summarizer & { calls: Array<{ messages: string[]; previous: string }> } {
  const calls: Array<{ messages: string[]; previous: string }> = [];
  return {
    calls,
    summarize: async (messages, { previousSummary }) => {
      calls.push({ messages: messages.map((m) => m.content ?? ''), previous: previousSummary });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return [previousSummary, ...messages.map((m) => m.content ?? '')].filter(Boolean).join(' | ');
    },
  };
}

describe('RunningSummary', () => {
  it('folds each unit that leaves the window once, in order, with the summary so far', async () => {
    const summarizer = recordingSummarizer();
    const summary = new RunningSummary(counter, 100, summarizer);
    expect(await summary.update(units, 0)).toBe('');
    expect(await summary.update(units, 2)).toBe('message 0 | message 1');
    expect(await summary.update(units, 2)).toBe('message 0 | message 1');
    expect(await summary.update(units, 3)).toBe('message 0 | message 1 | message 2');
    expect(summary.coveredUnits).toBe(3);
    expect(summarizer.calls).toEqual([
      { messages: ['message 0', 'message 1'], previous: '' },
      { messages: ['message 2'], previous: 'message 0 | message 1' },
    ]);
  });

  it('folds calls made before an earlier one finished after it, never a unit twice', async () => {
    const summarizer = recordingSummarizer(5);
    const summary = new RunningSummary(counter, 100, summarizer);
    const [first, second] = await Promise.all([summary.update(units, 3), summary.update(units, 6)]);
    expect(first).toBe('message 0 | message 1 | message 2');
    expect(second).toBe('message 0 | message 1 | message 2 | message 3 | message 4 | message 5');
    expect(summary.coveredUnits).toBe(6);
    expect(summarizer.calls.flatMap((call) => call.messages)).toEqual(['message 0', 'message 1', 'message 2', 'message 3', 'message 4', 'message 5']);
  });

  it('keeps the summary as it was when a fold fails, and folds from there next time', async () => {
    let fail = true;
    const summary = new RunningSummary(counter, 100, {
      summarize: async (messages, { previousSummary }) => {
        if (fail) throw new Error('endpoint down');
        return [previousSummary, ...messages.map((m) => m.content)].filter(Boolean).join(' | ');
      },
    });
    await expect(summary.update(units, 2)).rejects.toThrow('endpoint down');
    expect(summary.coveredUnits).toBe(0);
    fail = false;
    expect(await summary.update(units, 2)).toBe('message 0 | message 1');
  });
});
