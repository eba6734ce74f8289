import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitFixedParts, TokenCounter, type ChatMessage } from '../../core/index.js';

const counter = new TokenCounter({ model: 'gpt-4o' });
const text = fc.array(fc.constantFrom('The order #12345 shipped. ', 'Refund $45.00 on 2024-05-01.\n', 'user: hi 👋 ', '東京に行きます。', 'plain words here '), { maxLength: 600 }).map((parts) => parts.join(''));
const messages = (parts: { system: string; query?: string }): ChatMessage[] => [{ role: 'system', content: parts.system }, ...(parts.query === undefined ? [] : [{ role: 'user' as const, content: parts.query }])];

describe('fitting the system prompt and the query to a budget', () => {
  it('never leaves them over budget minus reserve, whatever their length', () => {
    fc.assert(
      fc.property(text, fc.option(text, { nil: undefined }), fc.integer({ min: 20, max: 2_000 }), fc.integer({ min: 0, max: 500 }), (system, query, budget, reserve) => {
        fc.pre(budget - reserve >= 20);
        const fitted = fitFixedParts({ system, ...(query === undefined ? {} : { query }) }, budget, counter, reserve);
        expect(counter.countMessages(messages(fitted))).toBeLessThanOrEqual(budget - reserve);
      }),
      { numRuns: 60 },
    );
  });

  it('leaves parts that fit untouched', () => {
    const parts = { system: 'You are the support agent.', query: 'Where is order #12345?' };
    expect(fitFixedParts(parts, 3_000, counter)).toBe(parts);
  });
});
