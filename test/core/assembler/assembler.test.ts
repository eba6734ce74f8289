import { describe, expect, it } from 'vitest';
import { defineLoader, ProductionContextAssembler, sharedCounter, ToolRouter, type ChatMessage, type ToolDefinition } from '../../../core/index.js';
import { techcorpCustomers, techcorpKnowledge } from './fixtures.js';

const counter = sharedCounter('gpt-4o');
const assembler = (extra: Partial<ConstructorParameters<typeof ProductionContextAssembler>[0]> = {}) =>
  new ProductionContextAssembler({ systemPrompt: 'You are the TechCorp support agent.', customers: techcorpCustomers(), knowledge: techcorpKnowledge(), counter, ...extra });

const longHistory: ChatMessage[] = Array.from({ length: 400 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `Message ${i}: my router keeps disconnecting, order ORD-1001 is late and I am unhappy about it.` }));

describe('production assembler', () => {
  it('respects the token budget with a very long history (lab integration case)', async () => {
    const assembly = await assembler().assemble({ userId: 'alice', query: 'Where is my order?', history: longHistory, intents: ['order_inquiry'] });
    expect(counter.count(assembly.text)).toBeLessThanOrEqual(8000);
    expect(assembly.messageTokens).toBeLessThanOrEqual(8000);
    expect(assembly.text).toContain('Message 399');
  });

  it("loads the intent's context: billing data for a billing question", async () => {
    const assembly = await assembler().assemble({ userId: 'alice', query: 'Why was I charged twice?', intents: ['billing_question'] });
    expect(assembly.text).toContain('Possible duplicate charges: INV-501 and INV-502');
    expect(assembly.text.toLowerCase()).toMatch(/invoice|payment/);
    expect(assembly.text).toContain('Duplicate charges are refunded within 5 business days');
    expect(assembly.trace.loaders.map((l) => [l.loader, l.status])).toEqual([
      ['policy', 'ok'],
      ['billing', 'ok'],
    ]);
  });

  it('orders sections cache-friendly: static first, the query last', async () => {
    const assembly = await assembler().assemble({ userId: 'alice', query: 'My router drops Wi-Fi', history: longHistory.slice(0, 4), intents: ['technical_support'] });
    const order = assembly.trace.sections.map((s) => s.name);
    expect(order[0]).toBe('system_prompt');
    expect(order.at(-1)).toBe('current_query');
    expect(order.indexOf('intent_context')).toBeLessThan(order.indexOf('recent_messages'));
    expect(assembly.text).toContain('firmware=1.4.2');
    expect(assembly.messages.at(-1)).toEqual({ role: 'user', content: 'My router drops Wi-Fi' });
  });

  it('gives the memories the room the query-dependent loader output leaves in retrieved_context, so the section is not cut afterwards', async () => {
    const guide = 'Guide: restart the router, then check the firmware version. '.repeat(60);
    const perTurn = defineLoader({ name: 'guide', description: 'a long per-turn guide', intents: ['*'], load: async () => ({ text: guide, facts: [], perTurn: true }) });
    const asked: number[] = [];
    // A memory that fills whatever room it is given, in whole lines.
    const memory = {
      retrieve: async (_query: string, options: { maxTokens: number }) => {
        asked.push(options.maxTokens);
        const lines = ['# Long-term memory'];
        for (let i = 0; counter.count([...lines, `- remembered fact ${i}`].join('\n')) <= options.maxTokens; i++) lines.push(`- remembered fact ${i}`);
        return { text: lines.join('\n'), items: [] };
      },
    };
    const assembly = await assembler({ loaders: [perTurn], memory }).assemble({ userId: 'alice', query: 'My router drops Wi-Fi', intents: ['technical_support'] });
    const section = assembly.trace.sections.find((s) => s.name === 'retrieved_context')!;
    expect(asked).toEqual([section.allocation - counter.count(`${guide.trim()}\n\n`)]);
    expect(section).toMatchObject({ truncated: false });
    expect(section.tokens).toBeLessThanOrEqual(section.allocation);
    expect(section.tokens).toBeGreaterThan(section.allocation - 10);
    expect(assembly.text).toContain('remembered fact 0');
  });

  it('degrades a failing loader to an unavailable section and records it', async () => {
    const broken = defineLoader({ name: 'crm', description: 'always fails', intents: ['order_inquiry'], load: async () => Promise.reject(new Error('CRM is down')) });
    const assembly = await assembler({ loaders: [broken] }).assemble({ userId: 'alice', query: 'Where is my order?', intents: ['order_inquiry'] });
    expect(assembly.text).toContain('(crm data unavailable: CRM is down)');
    expect(assembly.trace.loaders[0]).toMatchObject({ loader: 'crm', status: 'failed', error: 'CRM is down' });
  });

  it('degrades a loader that does not answer in time', async () => {
    const slow = defineLoader({ name: 'warehouse', description: 'never answers', intents: ['*'], load: () => new Promise(() => {}) });
    const assembly = await assembler({ loaders: [slow], loaderTimeoutMs: 20 }).assemble({ userId: 'alice', query: 'Where is my order?', intents: ['order_inquiry'] });
    expect(assembly.trace.loaders[0]).toMatchObject({ loader: 'warehouse', status: 'timeout' });
    expect(assembly.text).toContain('warehouse data unavailable');
  });

  it('keeps users apart when many assemble calls run at once', async () => {
    const shared = assembler();
    const calls = Array.from({ length: 20 }, (_, i) => shared.assemble({ userId: i % 2 ? 'bob' : 'alice', query: 'Where is my order?', intents: ['order_inquiry'] }));
    const assemblies = await Promise.all(calls);
    assemblies.forEach((assembly, i) => {
      if (i % 2) expect(assembly.text).toContain('ORD-2002');
      else expect(assembly.text).not.toContain('BOBSECRET');
    });
  });

  it('records timings per stage and the sections with their tokens', async () => {
    const { trace } = await assembler().assemble({ userId: 'alice', query: 'Where is my order?', intents: ['order_inquiry'] });
    expect(trace.timings.total).toBeGreaterThanOrEqual(trace.timings.budget);
    expect(trace.sections.find((s) => s.name === 'user_profile')!.tokens).toBeGreaterThan(0);
    expect(trace.routing).toMatchObject({ intents: ['order_inquiry'], decision: 'pinned' });
  });

  it("sends the routed intent's tools and takes their tokens off the total budget", async () => {
    const tools: ToolDefinition[] = ['get_order', 'get_invoice'].map((name) => ({ type: 'function', function: { name, description: `${name} for the customer: `.repeat(100) } }));
    const router = new ToolRouter({ tools, toolsByIntent: new Map([['order_inquiry', ['get_order']]]), counter, maxTokens: 8000 });
    const assembly = await assembler({ tools: router }).assemble({ userId: 'alice', query: 'Where is my order?', history: longHistory, intents: ['order_inquiry'] });
    expect(assembly.tools.map((t) => t.function.name)).toEqual(['get_order']);
    expect(assembly.trace.tools).toMatchObject({ sent: ['get_order'], added: ['get_order'], tokens: counter.countTools(assembly.tools) });
    expect(counter.countRequest(assembly.messages, assembly.tools)).toBeLessThanOrEqual(8000);
    expect(counter.countTools(assembly.tools)).toBeGreaterThan(500);
  });
});
