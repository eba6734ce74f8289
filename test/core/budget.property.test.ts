import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BudgetOverflowError, ContextBudget, TokenCounter, type BudgetProfileInput } from '../../core/index.js';

const counter = new TokenCounter({ model: 'gpt-4o' });

const content = fc.oneof(
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 300 }) },
  { weight: 3, arbitrary: fc.array(fc.constantFrom('The order #12345 shipped. ', 'Call me at 415-555-0100! ', 'Refund $45.00 on 2024-05-01.\n', 'user: hi 👋 ', 'é\u0301 ', '東京に行きます。', '<|endoftext|>', 'plain words here '), { maxLength: 200 }).map((p) => p.join('')) },
  { weight: 1, arbitrary: fc.nat({ max: 5_000 }).map((n) => 'x'.repeat(n)) },
);

const section = (name: string) =>
  fc.record({
    name: fc.constant(name),
    budget: fc.integer({ min: 0, max: 400 }),
    priority: fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const, 5 as const),
    compressible: fc.boolean(),
    kind: fc.constantFrom('conversation' as const, 'document' as const),
    role: fc.constantFrom('system' as const, 'user' as const),
  });

const scenario = fc
  .integer({ min: 1, max: 6 })
  .chain((n) =>
    fc.record({
      total: fc.integer({ min: 1, max: 1500 }),
      sections: fc.tuple(...Array.from({ length: n }, (_, i) => section(`s${i}`))),
      contents: fc.array(content, { minLength: n, maxLength: n }),
    }),
  );

describe('budget invariant (property)', () => {
  it('never exceeds the total budget after build, or proves the fixed sections alone do not fit', () => {
    fc.assert(
      fc.property(scenario, ({ total, sections, contents }) => {
        const profile: BudgetProfileInput = { total, sections: [...sections] };
        const budget = new ContextBudget({ profile, counter });
        sections.forEach((s, i) => budget.addSection(s.name, contents[i]!));
        try {
          const built = budget.build();
          expect(counter.count(built.text)).toBeLessThanOrEqual(total);
          expect(built.messages.length === 0 ? 0 : counter.countMessages(built.messages)).toBeLessThanOrEqual(total);
          for (const usage of built.sections) expect(usage.tokens).toBeLessThanOrEqual(usage.allocation);
        } catch (error) {
          expect(error).toBeInstanceOf(BudgetOverflowError);
          const fixedOnly = new ContextBudget({ profile, counter });
          sections.forEach((s, i) => {
            if (s.priority === 1 && !s.compressible) fixedOnly.addSection(s.name, contents[i]!);
          });
          expect(fixedOnly.remaining()).toBeLessThan(0);
        }
      }),
      { numRuns: 250 },
    );
  });

  it('never touches fixed priority-1 sections when the build succeeds', () => {
    fc.assert(
      fc.property(scenario, ({ total, sections, contents }) => {
        const budget = new ContextBudget({ profile: { total, sections: [...sections] }, counter });
        const added = sections.map((s, i) => budget.addSection(s.name, contents[i]!));
        let built;
        try {
          built = budget.build();
        } catch {
          return;
        }
        sections.forEach((s, i) => {
          if (s.priority === 1 && !s.compressible) expect(built.sections.find((u) => u.name === s.name)?.tokens).toBe(added[i]!.tokens);
        });
      }),
      { numRuns: 150 },
    );
  });
});
