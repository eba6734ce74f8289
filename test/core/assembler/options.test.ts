import { describe, expect, it } from 'vitest';
import {
  assemblerProfile,
  ASSEMBLER_PROFILE,
  ConfigError,
  ContextConversation,
  ConversationIntents,
  defineProfile,
  InputError,
  ProductionContextAssembler,
  sharedCounter,
  TECHCORP_PROFILE,
  WorkingMemory,
  type ChatMessage,
  type IntentRouting,
} from '../../../core/index.js';
import { techcorpCustomers, techcorpKnowledge } from './fixtures.js';

const counter = sharedCounter('gpt-4o');
const assembler = (extra: Partial<ConstructorParameters<typeof ProductionContextAssembler>[0]> = {}) =>
  new ProductionContextAssembler({ systemPrompt: 'You are the TechCorp support agent.', customers: techcorpCustomers(), knowledge: techcorpKnowledge(), counter, ...extra });
const router: IntentRouting = { route: async () => ({ intents: ['billing'], confidence: 0.9, ranked: [{ label: 'billing', confidence: 0.9 }] }) } as unknown as IntentRouting;

describe('the assembler refuses options that would silently change what it sends', () => {
  it('refuses a profile without a section for the query or the system prompt, which would never be sent', () => {
    expect(() => assembler({ profile: assemblerProfile({ current_query: 0 }) })).toThrow(ConfigError);
    expect(() => assembler({ profile: assemblerProfile({ current_query: 0 }) })).toThrow(/has no current_query section, so the customer's query would never be sent/);
    const noSystem = defineProfile({ name: 'p', total: 1000, sections: [{ name: 'current_query', budget: 100, priority: 1 }] });
    expect(() => assembler({ profile: noSystem })).toThrow(/has no system_prompt section/);
  });

  it('refuses a NaN or negative section budget instead of dropping the section', () => {
    expect(() => assemblerProfile({ retrieved_context: Number.NaN })).toThrow(/retrieved_context = NaN must be a whole number of tokens, 0 or more/);
    expect(() => assemblerProfile({ retrieved_context: -5 })).toThrow(ConfigError);
    expect(assemblerProfile({ retrieved_context: 0 }).sections.some((s) => s.name === 'retrieved_context')).toBe(false);
  });

  it.each([Infinity, 1e12, 0, -1, Number.NaN, 1.5])('refuses loaderTimeoutMs %s, which Node would cut to 1 ms', (loaderTimeoutMs) => {
    expect(() => assembler({ loaderTimeoutMs })).toThrow(/loaderTimeoutMs = .* must be a whole number of milliseconds from 1 to 2147483647/);
  });

  it('refuses a memory allowance that is not a whole number of tokens, and a default intent no loader serves', () => {
    expect(() => assembler({ memoryTokens: Number.NaN })).toThrow(/memoryTokens = NaN/);
    expect(() => assembler({ memoryTokens: -10 })).toThrow(ConfigError);
    expect(() => assembler({ defaultIntent: 'order_inquiri' })).toThrow(/defaultIntent = "order_inquiri" is served by no loader[\s\S]*order_inquiry/);
    expect(() => assembler({ defaultIntent: 'order_inquiry', memoryTokens: 0, loaderTimeoutMs: 500 })).not.toThrow();
  });
});

describe('the assembler refuses a request it would send wrong', () => {
  const ask = (history: unknown, extra: Record<string, unknown> = {}) => assembler().assemble({ userId: 'alice', query: 'and now?', history: history as ChatMessage[], ...extra });
  const call = { id: 'c1', type: 'function' as const, function: { name: 'lookup_order', arguments: '{}' } };

  it('refuses a tool call left unanswered, a tool result answering nothing, an unknown role, and a history that is not a list', async () => {
    await expect(ask([{ role: 'user', content: 'check o1' }, { role: 'assistant', content: null, tool_calls: [call] }, { role: 'user', content: 'and now?' }])).rejects.toThrow(/history\[2\] follows an assistant tool call left unanswered \(c1\)/);
    await expect(ask([{ role: 'tool', tool_call_id: 'zzz', content: 'result' }])).rejects.toThrow(/history\[0\] is a tool result for "zzz", which no earlier assistant message called/);
    await expect(ask([{ role: 'robot', content: 'beep' }])).rejects.toThrow(/history\[0\]\.role = "robot" is not a chat role/);
    await expect(ask('not a list')).rejects.toThrow(InputError);
    await expect(ask([{ role: 'user', content: 42 }])).rejects.toThrow(/content must be text or null, got number/);
    await expect(ask([{ role: 'user', content: 'check o1' }, { role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: 'c1', content: '{}' }, { role: 'user', content: 'and now?' }])).resolves.toBeDefined();
  });

  it('refuses a bad request before routing or loading anything', async () => {
    let routed = 0;
    const counting = { route: async () => ((routed += 1), { intents: ['billing_question'], confidence: 0.9, ranked: [] }) } as unknown as IntentRouting;
    await expect(assembler({ router: counting }).assemble({ userId: 'alice', query: 'hi', history: [{ role: 'robot' as 'user', content: 'beep' }] })).rejects.toThrow(InputError);
    expect(routed).toBe(0);
  });

  it('refuses history or a summary the profile has no section for, instead of dropping them', async () => {
    const bare = assembler({ profile: assemblerProfile({ recent_messages: 0, conversation_summary: 0 }) });
    await expect(bare.assemble({ userId: 'alice', query: 'and now?', history: [{ role: 'user', content: 'hello' }, { role: 'assistant', content: 'hi' }, { role: 'user', content: 'and now?' }] })).rejects.toThrow(/the request has history, but profile .* has no recent_messages section/);
    await expect(bare.assemble({ userId: 'alice', query: 'and now?', summary: 'earlier: a refund' })).rejects.toThrow(/has a summary, but profile .* has no conversation_summary section/);
    await expect(bare.assemble({ userId: 'alice', query: 'and now?', history: [{ role: 'user', content: 'and now?' }] })).resolves.toBeDefined();
  });
});

describe('conversation state refuses counts that make no sense', () => {
  it('refuses keep or words that are not whole numbers of at least 1, and an empty customer id', () => {
    expect(() => new ConversationIntents(router, Number.NaN)).toThrow(/keep = NaN must be a whole number of intents, at least 1/);
    expect(() => new ConversationIntents(router, 1, 0)).toThrow(/words = 0/);
    expect(() => new ContextConversation({ assembler: assembler(), userId: ' ', working: new WorkingMemory({ counter }) })).toThrow(/userId = " " must not be empty or blank/);
    // Long-term memory's rules, at construction rather than at the first compaction.
    expect(() => new ContextConversation({ assembler: assembler(), userId: 'c'.repeat(513), working: new WorkingMemory({ counter }) })).toThrow(/at most 512 characters/);
    expect(() => new ContextConversation({ assembler: assembler(), userId: 'cust-\uD83D', working: new WorkingMemory({ counter }) })).toThrow(/half of a character/);
  });
});

describe('profiles are frozen', () => {
  it('defines a profile once: defining a defined profile returns it as it is', () => {
    expect(defineProfile(TECHCORP_PROFILE)).toBe(TECHCORP_PROFILE);
    expect(defineProfile({ ...TECHCORP_PROFILE, total: 9000 })).not.toBe(TECHCORP_PROFILE);
  });

  it('does not let one caller change the shared default profiles', () => {
    expect(Object.isFrozen(TECHCORP_PROFILE)).toBe(true);
    expect(Object.isFrozen(ASSEMBLER_PROFILE.sections[0])).toBe(true);
    expect(() => {
      (TECHCORP_PROFILE as { total: number }).total = 10;
    }).toThrow(TypeError);
    expect(TECHCORP_PROFILE.total).toBe(8000);
  });
});
