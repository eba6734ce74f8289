import { describe, expect, it } from 'vitest';
import {
  BudgetOverflowError,
  ConfigError,
  ContextBudget,
  defineProfile,
  InputError,
  TECHCORP_PROFILE,
  TokenCounter,
  UnknownSectionError,
  type Compressor,
} from '../../core/index.js';

const counter = new TokenCounter({ model: 'gpt-4o' });
const sentences = (n: number, label = 'note') => Array.from({ length: n }, (_, i) => `This is ${label} sentence ${i} about the account.`).join(' ');

describe('TechCorp profile', () => {
  it('ships the lab design allocations', () => {
    expect(TECHCORP_PROFILE.total).toBe(8000);
    expect(TECHCORP_PROFILE.sections.map((s) => [s.name, s.budget, s.priority, s.compressible])).toEqual([
      ['system_prompt', 500, 1, false],
      ['user_profile', 200, 2, false],
      ['conversation_summary', 500, 2, true],
      ['retrieved_context', 3000, 3, true],
      ['recent_messages', 2000, 1, false],
      ['tool_results', 1000, 2, true],
      ['current_query', 500, 1, false],
    ]);
  });
});

describe('budget enforcement (lab checkpoint)', () => {
  it('truncates a section to its allocation and reports the cut', () => {
    const budget = new ContextBudget({ counter });
    const result = budget.addSection('user_profile', sentences(100, 'profile'));
    expect(result.truncated).toBe(true);
    expect(result.tokens).toBeLessThanOrEqual(200);
    expect(result.cutTokens).toBe(result.originalTokens - result.tokens);
  });

  it('reports no truncation when the content fits', () => {
    const budget = new ContextBudget({ counter });
    expect(budget.addSection('system_prompt', 'You are a helpful agent.')).toMatchObject({ truncated: false, cutTokens: 0 });
  });

  it('tracks the remaining budget and per-section usage', () => {
    const budget = new ContextBudget({ counter });
    expect(budget.remaining()).toBe(8000);
    budget.addSection('system_prompt', 'You are a helpful agent.');
    expect(budget.remaining()).toBeLessThan(8000);
    expect(budget.usage()).toEqual([expect.objectContaining({ name: 'system_prompt', allocation: 500, truncated: false })]);
  });

  it('keeps the context within the total budget after build', () => {
    const budget = new ContextBudget({ counter });
    for (const section of TECHCORP_PROFILE.sections) budget.addSection(section.name, sentences(400, section.name));
    const built = budget.build();
    expect(counter.count(built.text)).toBeLessThanOrEqual(8000);
    expect(counter.countMessages(built.messages)).toBeLessThanOrEqual(8000);
    expect(built.tokens).toBe(counter.count(built.text));
  });
});

describe('overflow handling (lab checkpoint)', () => {
  const tight = defineProfile({
    total: 300,
    sections: [
      { name: 'system_prompt', budget: 100, priority: 1, compressible: false },
      { name: 'profile', budget: 100, priority: 2, compressible: false },
      { name: 'summary', budget: 150, priority: 2, compressible: true, kind: 'conversation' },
      { name: 'retrieved', budget: 150, priority: 4, compressible: true },
      { name: 'query', budget: 50, priority: 1, compressible: false, role: 'user' },
    ],
  });

  it('compresses the lowest-priority compressible section first', () => {
    const budget = new ContextBudget({ profile: tight, counter });
    budget.addSection('system_prompt', 'You are the TechCorp agent.');
    budget.addSection('summary', sentences(20, 'summary'));
    budget.addSection('retrieved', sentences(20, 'retrieved'));
    budget.addSection('query', 'Where is my order?');
    const built = budget.build();
    expect(built.overflow[0]).toMatchObject({ section: 'retrieved', action: 'compressed' });
    expect(built.tokens).toBeLessThanOrEqual(300);
    expect(built.text).toContain('You are the TechCorp agent.');
    expect(built.text).toContain('Where is my order?');
  });

  it('truncates non-fixed sections once compression is exhausted, never the fixed ones', () => {
    const roomy = defineProfile({ ...tight, sections: tight.sections.map((s) => (s.name === 'system_prompt' ? { ...s, budget: 250 } : s)) });
    const budget = new ContextBudget({ profile: roomy, counter });
    budget.addSection('system_prompt', sentences(20, 'system'));
    budget.addSection('profile', sentences(20, 'profile'));
    budget.addSection('summary', sentences(20, 'summary'));
    budget.addSection('retrieved', sentences(20, 'retrieved'));
    budget.addSection('query', 'Where is my order #12345?');
    const built = budget.build();
    expect(built.tokens).toBeLessThanOrEqual(300);
    expect(built.overflow.map((a) => `${a.action} ${a.section}`)).toEqual(
      expect.arrayContaining(['compressed retrieved', 'compressed summary', 'truncated retrieved', 'truncated summary', 'truncated profile']),
    );
    expect(built.overflow.findIndex((a) => a.action === 'truncated')).toBeGreaterThan(built.overflow.findIndex((a) => a.action === 'compressed'));
    const fixed = built.sections.filter((s) => s.name === 'system_prompt' || s.name === 'query');
    expect(fixed.every((s) => s.cutTokens === 0)).toBe(true);
  });

  it('raises a typed error naming the fixed sections when they alone exceed the budget', () => {
    const budget = new ContextBudget({ profile: { total: 60, sections: [{ name: 'a', budget: 50, priority: 1, compressible: false }, { name: 'b', budget: 50, priority: 1, compressible: false }, { name: 'c', budget: 50, priority: 3 }] }, counter });
    budget.addSection('a', sentences(10));
    budget.addSection('b', sentences(10));
    budget.addSection('c', 'Optional.');
    const error = (() => {
      try {
        budget.build();
      } catch (e) {
        return e;
      }
    })() as BudgetOverflowError;
    expect(error).toBeInstanceOf(BudgetOverflowError);
    expect(error.code).toBe('E_BUDGET_OVERFLOW');
    expect(error.sections.map((s) => s.name)).toEqual(['a', 'b']);
    expect(error.overBy).toBeGreaterThan(0);
    expect(error.message).toMatch(/exceed the total budget of 60 tokens by \d+ tokens/);
  });

  it('uses a plug-in compressor and still enforces the budget when it overshoots', () => {
    const lazy: Compressor = { name: 'lazy', compress: (text) => text };
    const budget = new ContextBudget({ profile: tight, counter, compressor: lazy });
    budget.addSection('summary', sentences(20, 'summary'));
    budget.addSection('retrieved', sentences(20, 'retrieved'));
    budget.addSection('profile', sentences(20, 'profile'));
    expect(budget.build().tokens).toBeLessThanOrEqual(300);
  });
});

describe('smart truncation through sections (lab checkpoint)', () => {
  it('keeps the latest messages of a conversation section', () => {
    const budget = new ContextBudget({ counter });
    const history = Array.from({ length: 400 }, (_, i) => `user: message number ${i} here.`).join('\n');
    budget.addSection('recent_messages', history);
    const built = budget.build();
    expect(built.text).toContain('message number 399 here.');
    expect(built.text).not.toContain('message number 0 here.');
  });

  it('keeps the beginning of a document section', () => {
    const budget = new ContextBudget({ counter });
    budget.addSection('retrieved_context', `Refund policy starts here. ${sentences(800)}`);
    expect(budget.build().text).toContain('Refund policy starts here.');
  });
});

describe('build', () => {
  it('renders sections in profile order with headers, and the query as a user message', () => {
    const budget = new ContextBudget({ counter });
    budget.addSection('current_query', 'Why was I charged twice?');
    budget.addSection('system_prompt', 'You are the TechCorp agent.');
    const built = budget.build();
    expect(built.text).toBe('## system_prompt\nYou are the TechCorp agent.\n\n## current_query\nWhy was I charged twice?');
    expect(built.messages).toEqual([
      { role: 'system', content: '## system_prompt\nYou are the TechCorp agent.' },
      { role: 'user', content: 'Why was I charged twice?' },
    ]);
  });

  it('is deterministic for the same input', () => {
    const make = () => {
      const budget = new ContextBudget({ counter });
      for (const section of TECHCORP_PROFILE.sections) budget.addSection(section.name, sentences(300, section.name));
      return budget.build();
    };
    expect(make()).toEqual(make());
  });

  it('replaces a section added twice and empties on reset', () => {
    const budget = new ContextBudget({ counter });
    budget.addSection('system_prompt', 'old');
    budget.addSection('system_prompt', 'new');
    expect(budget.build().text).toBe('## system_prompt\nnew');
    budget.reset();
    expect(budget.build().text).toBe('');
  });
});

describe('bad input', () => {
  it('answers an unknown section with the closest known name', () => {
    const budget = new ContextBudget({ counter });
    expect(() => budget.addSection('system_promt', 'x')).toThrow(UnknownSectionError);
    expect(() => budget.addSection('system_promt', 'x')).toThrow(/did you mean "system_prompt"/);
  });

  it('rejects content that is not a string', () => {
    expect(() => new ContextBudget({ counter }).addSection('system_prompt', { text: 'x' } as unknown as string)).toThrow(InputError);
  });

  it.each([
    [{ total: -5, sections: [{ name: 'a', budget: 1, priority: 1 }] }, /total = -5 must be more than zero/],
    [{ total: 100, sections: [{ name: 'a', budget: -1, priority: 1 }] }, /sections\.0\.budget = -1 must be zero or more/],
    [{ total: 100, sections: [{ name: 'a', budget: 1, priority: 7 }] }, /sections\.0\.priority = 7 must be 1/],
    [{ total: 100, sections: [{ name: 'a', budget: 1, priority: 1 }, { name: 'a', budget: 1, priority: 1 }] }, /"a" is listed twice/],
    [{ total: 100, sections: [] }, /at least one section/],
    [{ total: 100, sections: [{ name: 'a', budget: 1, priority: 1, weight: 2 }] }, /sections\.0/],
  ])('rejects an invalid profile %#', (profile, message) => {
    expect(() => defineProfile(profile as never)).toThrow(ConfigError);
    expect(() => defineProfile(profile as never)).toThrow(message);
  });
});
