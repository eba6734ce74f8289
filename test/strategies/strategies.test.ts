import { describe, expect, it } from 'vitest';
import { ASSEMBLER_PROFILE, ConfigError, parseOptions, sharedCounter, type AssembledContext, type ChatMessage, type Episode, type Turn } from '../../core/index.js';
import { strategies } from '../../strategies/index.js';
import { syntheticEpisode } from './fixtures.js';

const counter = sharedCounter('gpt-4o');

async function assembleAt(name: string, episode: Episode, turn: Turn, options: Record<string, unknown> = {}): Promise<AssembledContext> {
  const plugin = strategies.get(name);
  const session = plugin.create({ ...plugin.defaults, ...options }, { counter, model: 'gpt-4o' }).startEpisode(episode);
  const history = episode.messages.slice(0, turn.at);
  const query = turn.query ?? [...history].reverse().find((m) => m.role === 'user')?.content ?? '';
  return session.assemble({ episode, turn, turnIndex: 0, history, query });
}

const episode = syntheticEpisode('dana', 'DDD444', 20);
const lastTurn = episode.turns.at(-1)!;
const content = (context: AssembledContext) => context.messages.map((m) => m.content ?? '').join('\n');

describe('strategies', () => {
  it('registers the six strategies in order, then the oracle and the reference contexts', () => {
    expect(strategies.names()).toEqual(['naive', 'sliding-window', 'token-buffer', 'summary-buffer', 'rag', 'production', 'oracle', 'ref-empty', 'ref-instructions', 'ref-record', 'ref-last-4', 'ref-other-episode']);
    expect(strategies.list().filter((s) => s.reference).map((s) => s.name)).toEqual(['oracle', 'ref-empty', 'ref-instructions', 'ref-record', 'ref-last-4', 'ref-other-episode']);
  });

  it('naive sends every knowledge document, the customer record and the whole history', async () => {
    const context = await assembleAt('naive', episode, lastTurn);
    expect(context.messages).toHaveLength(1 + episode.messages.length + 1);
    expect(content(context)).toContain('Refunds are issued within 5 business days');
    expect(content(context)).toContain('DDD444-profile');
    expect(context.retrieved).toBeUndefined(); // naive ranks nothing: rank metrics would follow file order
  });

  it('sliding-window keeps the last N messages, widened to whole tool exchanges', async () => {
    const context = await assembleAt('sliding-window', episode, lastTurn, { messages: 5 });
    const history = context.messages.slice(1, -1);
    expect(history.length).toBeGreaterThanOrEqual(5);
    expect(history.at(-1)).toEqual(episode.messages.at(-1));
  });

  it('token-buffer fills its token limit with the most recent messages', async () => {
    const context = await assembleAt('token-buffer', episode, lastTurn, { maxTokens: 600 });
    const tokens = counter.countMessages(context.messages);
    expect(tokens).toBeLessThanOrEqual(600);
    expect(tokens).toBeGreaterThan(400);
    expect(context.messages.at(-2)).toEqual(episode.messages.at(-1));
  });

  it('summary-buffer summarizes what left the window and keeps its key entities', async () => {
    const context = await assembleAt('summary-buffer', episode, lastTurn, { maxTokens: 1200, summaryTokens: 300 });
    const summary = context.messages.find((m) => m.content?.startsWith('Summary of the earlier conversation'));
    expect(summary?.content).toMatch(/ORD-DDD444-\d+/);
    expect(context.sections.summary).toBeGreaterThan(0);
    expect(counter.countMessages(context.messages)).toBeLessThanOrEqual(1200);
  });

  it("summary-buffer summarizes with production's summarizer: the customer's identity and the agent's calls outlast later tool results", async () => {
    const call = (i: number) => ({ id: `call_${i}`, type: 'function' as const, function: { name: 'get_reservation_details', arguments: JSON.stringify({ reservation_id: `RES${i}X` }) } });
    const messages: ChatMessage[] = [{ role: 'user', content: 'Hi. My user ID is mia_li_3668. I would like to change a flight.' }];
    for (let i = 0; i < 8; i++) {
      messages.push({ role: 'assistant', content: null, tool_calls: [call(i)] });
      const legs = Array.from({ length: 4 }, (_, leg) => ({ flight_number: `HAT${100 + i * 4 + leg}`, date: `2024-05-${10 + leg}`, price: 100 + leg }));
      messages.push({ role: 'tool', tool_call_id: `call_${i}`, content: JSON.stringify({ reservation_id: `RES${i}X`, flights: legs, created_at: `2024-05-0${(i % 9) + 1}T10:00:00` }) });
      messages.push({ role: 'assistant', content: `Reservation RES${i}X has ${legs.length} flights. Anything else?` });
      messages.push({ role: 'user', content: `Please look at the next one, number ${i + 1}.` });
    }
    const long: Episode = { ...episode, messages, turns: [{ at: messages.length, probes: [] }] };
    const context = await assembleAt('summary-buffer', long, long.turns[0]!, { maxTokens: 700, summaryTokens: 150 });
    const summary = context.messages.find((m) => m.content?.startsWith('Summary of the earlier conversation'))?.content ?? '';
    expect(summary).toContain('mia_li_3668');
    expect(summary).toMatch(/get_reservation_details\(\{"reservation_id":"RES\dX"\}\)/);
  });

  it('rag retrieves the knowledge and history that match the query', async () => {
    const turn: Turn = { at: episode.messages.length, query: 'How long do refunds take to reach my payment method?', probes: [] };
    const context = await assembleAt('rag', episode, turn);
    expect(context.retrieved?.[0]).toBe('policy/refunds');
    expect(content(context)).toContain('Refunds are issued');
  });

  it('rag keeps the tool result the agent is acting on, and does not send knowledge its system prompt already holds', async () => {
    const call = { id: 'call_9', type: 'function' as const, function: { name: 'get_order', arguments: '{"id":"ORD-XYZ-77"}' } };
    const messages = [
      ...episode.messages,
      { role: 'user' as const, content: 'Where is my order ORD-XYZ-77?' },
      { role: 'assistant' as const, content: null, tool_calls: [call] },
      { role: 'tool' as const, tool_call_id: 'call_9', content: '{"status":"lost in transit","refund":"RF-5521"}' },
    ];
    const withPolicy = { ...episode, messages, systemPrompt: `${episode.systemPrompt}\n\n${episode.knowledge.map((doc) => doc.text).join('\n\n')}` };
    // The agent's next action after the tool result: no new query.
    const context = await assembleAt('rag', withPolicy, { at: messages.length, probes: [] });
    expect(content(context)).toContain('RF-5521');
    expect(content(context)).not.toContain('# Retrieved knowledge');
  });

  it('production fills the assembler sections in cache-friendly order within 8,000 tokens', async () => {
    const context = await assembleAt('production', episode, lastTurn);
    expect(ASSEMBLER_PROFILE.sections.map((s) => s.name)).toEqual(['system_prompt', 'user_profile', 'intent_context', 'conversation_summary', 'recent_messages', 'retrieved_context', 'tool_results', 'current_query']);
    expect(Object.keys(context.sections)).toEqual(expect.arrayContaining(['system_prompt', 'user_profile', 'recent_messages', 'current_query']));
    expect(counter.countMessages(context.messages)).toBeLessThanOrEqual(8000);
    expect(context.messages.at(-1)).toEqual({ role: 'user', content: lastTurn.query });
  });

  it('production remembers what working memory compacted away and retrieves it for a later question', async () => {
    const early: Episode = { ...episode, messages: [{ role: 'user', content: 'Before we start: my dog Biscuit chewed the charging cable of my laptop.' }, ...episode.messages] };
    const turn: Turn = { at: early.messages.length, query: 'Which cable did Biscuit chew?', probes: [] };
    const context = await assembleAt('production', early, turn, { workingMessages: 8, workingTokens: 600 });
    expect(context.sections.retrieved_context).toBeGreaterThan(0);
    expect(content(context)).toContain('my dog Biscuit chewed the charging cable');
  });

  it('production routes with the episode intent profile and reports the intent', async () => {
    const { TECHCORP_INTENTS } = await import('../../core/index.js');
    const routed: Episode = { ...episode, messages: [], intentProfile: TECHCORP_INTENTS };
    const turn: Turn = { at: 0, query: 'Why was I charged twice on my card?', probes: [] };
    const context = await assembleAt('production', routed, turn);
    expect(context.intent?.label).toBe('billing_question');
  });
});

describe('production on a conversation that turns to another intent', () => {
  /** One session through the turns of `messages`, the context of the last one. */
  async function lastContext(options: Record<string, unknown>): Promise<AssembledContext> {
    const { TECHCORP_INTENTS } = await import('../../core/index.js');
    const messages: Episode['messages'] = [
      { role: 'user', content: 'Why was I charged twice on my card this month?' },
      { role: 'assistant', content: 'Let me look at your invoices.' },
      { role: 'user', content: 'Actually I want to cancel my subscription and close my account.' },
    ];
    const knowledge = [
      { id: 'kb/billing', title: 'Billing', text: 'Duplicate charges are refunded within 5 business days.', metadata: { intent: 'billing_question' } },
      { id: 'kb/cancel', title: 'Cancellation', text: 'Cancellations take effect at the end of the billing period.', metadata: { intent: 'cancellation' } },
    ];
    const drifting: Episode = { ...episode, messages, knowledge, intentProfile: TECHCORP_INTENTS, turns: [{ at: 1, probes: [] }, { at: 3, probes: [] }] };
    const plugin = strategies.get('production');
    const session = plugin.create({ ...plugin.defaults, ...options }, { counter, model: 'gpt-4o' }).startEpisode(drifting);
    let context: AssembledContext | undefined;
    for (const [turnIndex, turn] of drifting.turns.entries()) {
      const history = messages.slice(0, turn.at);
      context = await session.assemble({ episode: drifting, turn, turnIndex, history, query: history.at(-1)!.content! });
    }
    return context!;
  }

  it('keeps the earlier intent loaded when keepIntents allows, appended before the new one', async () => {
    const text = content(await lastContext({ keepIntents: 3, routerThreshold: 0 }));
    expect(text).toContain('Duplicate charges are refunded');
    expect(text).toContain('Cancellations take effect');
    expect(text.indexOf('Duplicate charges')).toBeLessThan(text.indexOf('Cancellations take effect'));
  });

  it("loads only the current intent's context with keepIntents 1", async () => {
    const context = await lastContext({ keepIntents: 1, routerThreshold: 0 });
    expect(context.intent?.label).toBe('cancellation');
    expect(content(context)).toContain('Cancellations take effect');
    expect(content(context)).not.toContain('Duplicate charges are refunded');
  });

  it('production loads knowledge as deep as its knowledgeFloor says', async () => {
    // Twelve documents that all match the question, with falling scores (fewer matching words).
    const words = ['refund', 'card', 'charge', 'fee', 'late', 'declined'];
    const knowledge = Array.from({ length: 12 }, (_, i) => ({ id: `faq/${i}`, title: `FAQ ${i}`, text: `${words.slice(0, 1 + (i % 6)).join(' ')} question marker-${i}.` }));
    const question: Episode = { ...episode, messages: [{ role: 'user', content: words.join(' ') }], knowledge, turns: [{ at: 1, query: words.join(' '), probes: [] }] };
    const markers = async (options: Record<string, unknown>) => (content(await assembleAt('production', question, question.turns[0]!, options)).match(/marker-\d+/g) ?? []).length;
    const deep = await markers({ knowledgeFloor: 0 });
    expect(deep).toBe(10);
    expect(await markers({})).toBeLessThan(deep);
    expect(await markers({ knowledgeFloor: 1 })).toBeLessThanOrEqual(await markers({}));
  });

  it('production refuses a knowledgeFloor outside 0..1, naming the key', () => {
    const plugin = strategies.get('production');
    expect(() => parseOptions('strategy', 'production', plugin.options, { knowledgeFloor: 1.5 })).toThrow(ConfigError);
    expect(() => parseOptions('strategy', 'production', plugin.options, { knowledgeFloor: 1.5 })).toThrow(/knowledgeFloor/);
  });
});
