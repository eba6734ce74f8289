import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KnowledgeBase, ProductionContextAssembler, sharedCounter, ToolRouter, type AssembleRequest, type ChatMessage, type MemoryRetrieval, type ToolDefinition } from '../../../core/index.js';
import { techcorpCustomers, techcorpKnowledge } from './fixtures.js';

const counter = sharedCounter('gpt-4o');
const tools: ToolDefinition[] = ['lookup_order', 'refund_invoice'].map((name) => ({ type: 'function', function: { name, description: `${name} tool`, parameters: { type: 'object', properties: {} } } }));

/** A memory tier whose answer depends on the query, as retrieval does. */
const memory: MemoryRetrieval = {
  retrieve: async (query) => ({ text: `# Long-term memory\nremembered about: ${query}`, items: [{ source: 'long-term', id: query, content: query, score: 1 }] }),
};

const assembler = (extra: Partial<ConstructorParameters<typeof ProductionContextAssembler>[0]> = {}) =>
  new ProductionContextAssembler({ systemPrompt: 'You are the TechCorp support agent.', customers: techcorpCustomers(), knowledge: techcorpKnowledge(), memory, tools, counter, ...extra });

/** A conversation as the replay feeds it: each turn's history ends with that turn's user message. */
const conversation: ChatMessage[] = [
  { role: 'user', content: 'Hi, my router keeps dropping Wi-Fi.' },
  { role: 'assistant', content: 'Sorry to hear that. Which firmware are you on?' },
  { role: 'user', content: 'Firmware 1.4.2 with mesh on.' },
  { role: 'assistant', content: 'That version has a known mesh issue.' },
  { role: 'user', content: 'So what should I do about the router?' },
];
const turnAt = (at: number): AssembleRequest => ({ userId: 'alice', query: conversation[at - 1]!.content!, history: conversation.slice(0, at), intents: ['technical_support'] });

const index = (messages: ChatMessage[], section: string) => messages.findIndex((m) => m.content?.startsWith(`## ${section}\n`));

describe('cache-stable layout of the production assembler', () => {
  it('keeps everything before the history byte-identical from turn to turn, and the history an append-only run of messages', async () => {
    const a = assembler();
    const [first, second, third] = await Promise.all([turnAt(1), turnAt(3), turnAt(5)].map((request) => a.assemble(request)));
    const start = (assembly: typeof second) => assembly!.messages.findIndex((m) => m.content === conversation[0]!.content);
    expect(start(first)).toBe(first!.messages.length - 1);
    expect(start(second)).toBeGreaterThan(0);
    expect(second!.messages.slice(0, start(second))).toEqual(third!.messages.slice(0, start(third)));
    expect(first!.messages.slice(0, 2)).toEqual(second!.messages.slice(0, 2));
    for (const assembly of [first!, second!, third!]) expect(assembly.tools).toEqual(first!.tools);
    // The history is sent as the conversation's own messages, oldest first, and grows at its end only.
    const history = (assembly: typeof second, turns: number) => assembly!.messages.slice(start(assembly), start(assembly) + turns);
    expect(history(second, 2)).toEqual(conversation.slice(0, 2));
    expect(history(third, 4)).toEqual(conversation.slice(0, 4));
    expect(history(third, 2)).toEqual(history(second, 2));
  });

  it('sends the system prompt as it is, first, without a section header', async () => {
    const assembly = await assembler().assemble(turnAt(3));
    expect(assembly.messages[0]).toEqual({ role: 'system', content: 'You are the TechCorp support agent.' });
    expect(assembly.messageTokens).toBe(counter.countMessages(assembly.messages));
  });

  it('sends the history in the budget text form when it had to be cut', async () => {
    const long: ChatMessage[] = Array.from({ length: 300 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `Message ${i}: my router keeps disconnecting and I am unhappy about it.` }));
    const assembly = await assembler().assemble({ userId: 'alice', query: 'Anything else?', history: long, intents: ['technical_support'] });
    expect(assembly.trace.sections.find((s) => s.name === 'recent_messages')!.truncated).toBe(true);
    expect(assembly.messages.some((m) => m.content?.startsWith('## recent_messages\n'))).toBe(true);
    expect(assembly.messageTokens).toBeLessThanOrEqual(8000 - counter.countTools(tools));
  });

  it('puts what changes every turn after the history: retrieved memories and query-dependent knowledge, then the query', async () => {
    const assembly = await assembler().assemble(turnAt(5));
    const order = assembly.trace.sections.map((s) => s.name);
    expect(order.indexOf('retrieved_context')).toBeGreaterThan(order.indexOf('recent_messages'));
    expect(order.at(-1)).toBe('current_query');
    const retrieved = assembly.messages[index(assembly.messages, 'retrieved_context')]!.content!;
    // The support loader's guides come from a search with the query: per-turn, after the history.
    expect(retrieved).toContain('Guide: ');
    expect(retrieved).toContain('remembered about: So what should I do about the router?');
    const intent = assembly.messages[index(assembly.messages, 'intent_context')];
    expect(intent?.content ?? '').not.toContain('Guide: ');
  });

  it('sends the query once, last, when the history ends with it', async () => {
    const assembly = await assembler().assemble(turnAt(5));
    const query = 'So what should I do about the router?';
    expect(assembly.messages.at(-1)).toEqual({ role: 'user', content: query });
    expect(assembly.messages.filter((m) => m.content === query)).toHaveLength(1);
    expect(assembly.messages).toContainEqual({ role: 'user', content: 'Firmware 1.4.2 with mesh on.' });
  });

  it('sends a fixed tool list whole and in order every turn, its tokens counted against the total', async () => {
    const assembly = await assembler().assemble(turnAt(3));
    expect(assembly.tools.map((t) => t.function.name)).toEqual(['lookup_order', 'refund_invoice']);
    expect(assembly.trace.tools).toMatchObject({ sent: ['lookup_order', 'refund_invoice'], tokens: counter.countTools(tools) });
  });

  it("routes the tools by toolIntents when given, so a passing intent loads its policy but leaves the tool list (which precedes every message) as it was", async () => {
    const router = new ToolRouter({ tools, toolsByIntent: new Map([['order_inquiry', ['lookup_order']], ['billing_question', ['refund_invoice']]]), counter });
    const first = await assembler({ tools: router }).assemble({ ...turnAt(3), intents: ['order_inquiry'], toolIntents: ['order_inquiry'] });
    const next = await assembler({ tools: router }).assemble({ ...turnAt(5), intents: ['order_inquiry', 'billing_question'], toolIntents: ['order_inquiry'], previousTools: first.trace.tools!.sent });
    expect(first.tools.map((t) => t.function.name)).toEqual(['lookup_order']);
    expect(next.tools).toEqual(first.tools);
    // Without toolIntents the routed intents choose the tools.
    const routed = await assembler({ tools: router }).assemble({ ...turnAt(5), intents: ['order_inquiry', 'billing_question'], previousTools: first.trace.tools!.sent });
    expect(routed.tools.map((t) => t.function.name)).toEqual(['lookup_order', 'refund_invoice']);
  });

  it('sends the system prompt without the intent sections it holds, and the routed intent its own section once', async () => {
    const policy = ['# Policy', 'Be kind and brief.', '## Refunds', 'Refunds go to the original card within 5 days.', '## Shipping', 'Late orders get a shipping credit after 7 days.'].join('\n\n');
    const knowledge = new KnowledgeBase(
      [
        { id: 'p#policy', title: 'Policy', text: '# Policy\n\nBe kind and brief.' },
        { id: 'p#refunds', title: 'Refunds', text: '## Refunds\n\nRefunds go to the original card within 5 days.', metadata: { intent: 'billing_question' } },
        { id: 'p#shipping', title: 'Shipping', text: '## Shipping\n\nLate orders get a shipping credit after 7 days.', metadata: { intent: 'order_inquiry' } },
      ],
      counter,
    );
    const routed = assembler({ systemPrompt: policy, knowledge, tools: [] });
    expect(routed.systemPrompt).toBe('# Policy\n\nBe kind and brief.');
    const assembly = await routed.assemble({ userId: 'alice', query: 'Where is my refund?', intents: ['billing_question'] });
    expect(assembly.text.match(/Refunds go to the original card/g)).toHaveLength(1);
    expect(assembly.text).not.toContain('shipping credit');
    const whole = assembler({ systemPrompt: policy, knowledge, tools: [], routeSystemPrompt: false });
    expect(whole.systemPrompt).toBe(policy);
    // A loader's text the whole system prompt already holds is not sent twice.
    const unrouted = await whole.assemble({ userId: 'alice', query: 'Where is my refund?', intents: ['billing_question'] });
    expect(unrouted.text.match(/Refunds go to the original card/g)).toHaveLength(1);
  });

  it('retrieves no memory when the memory budget is 0', async () => {
    let calls = 0;
    const counted: MemoryRetrieval = { retrieve: async (query, options) => (calls++, memory.retrieve(query, options)) };
    const assembly = await assembler({ memory: counted, memoryTokens: 0 }).assemble(turnAt(5));
    expect(calls).toBe(0);
    expect(assembly.text).not.toContain('remembered about');
  });
});

describe('cache-stable layout, for any conversation', () => {
  const words = fc.stringMatching(/^[a-z]{2,9}( [a-z]{2,9}){0,11}$/);

  it('sends each turn every message the previous turn sent before its query, in the same order, when no section depends on the query', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(words, words), { minLength: 2, maxLength: 8 }), async (exchanges) => {
        const messages: ChatMessage[] = exchanges.flatMap(([asked, answered]) => [
          { role: 'user' as const, content: asked },
          { role: 'assistant' as const, content: answered },
        ]);
        const a = assembler({ memory: undefined });
        let previous: ChatMessage[] | undefined;
        for (let at = 1; at <= messages.length; at += 2) {
          const assembly = await a.assemble({ userId: 'alice', query: messages[at - 1]!.content!, history: messages.slice(0, at), intents: ['billing_question'] });
          expect(assembly.messages.at(-1)).toEqual({ role: 'user', content: messages[at - 1]!.content });
          if (previous) expect(assembly.messages.slice(0, previous.length - 1)).toEqual(previous.slice(0, -1));
          previous = assembly.messages;
        }
      }),
      { numRuns: 40 },
    );
  });
});
