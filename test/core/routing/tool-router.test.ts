import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, defineIntentProfile, sharedCounter, TOOL_ROUTING_DEFAULTS, ToolRouter, type ChatMessage, type QueryRouting, type ToolDefinition } from '../../../core/index.js';

const counter = sharedCounter('gpt-4o');
const tool = (name: string, description = `Does ${name}`): ToolDefinition => ({
  type: 'function',
  function: { name, description, parameters: { type: 'object', properties: { city: { type: 'string', description: 'City of the request' } }, required: ['city'] } },
});
const tools = ['Hotels_1_SearchHotel', 'Hotels_1_ReserveHotel', 'Buses_1_FindBus', 'Buses_1_BuyBusTicket', 'Banks_2_CheckBalance'].map((name) => tool(name));
const toolsByIntent = new Map([
  ['Hotels/SearchHotel', ['Hotels_1_SearchHotel', 'Hotels_1_ReserveHotel']],
  ['Buses/FindBus', ['Buses_1_FindBus', 'Buses_1_BuyBusTicket']],
  ['Banks/CheckBalance', ['Banks_2_CheckBalance']],
]);
const router = (extra: Partial<ConstructorParameters<typeof ToolRouter>[0]> = {}) => new ToolRouter({ tools, toolsByIntent, counter, ...extra });
const names = (selected: { tools: ToolDefinition[] }) => selected.tools.map((t) => t.function.name);
const called = (name: string): ChatMessage => ({ role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name, arguments: '{}' } }] });

describe('tool router', () => {
  it("sends only the routed intent's tools", async () => {
    expect(names(await router().select({ query: 'a hotel in Paris', intents: ['Hotels/SearchHotel'], history: [] }))).toEqual(['Hotels_1_SearchHotel', 'Hotels_1_ReserveHotel']);
  });

  it('keeps the tools sent before in their positions and appends new ones', async () => {
    const selected = await router().select({ query: 'and a bus', intents: ['Buses/FindBus'], history: [], previous: ['Hotels_1_ReserveHotel', 'Hotels_1_SearchHotel'] });
    expect(names(selected)).toEqual(['Hotels_1_ReserveHotel', 'Hotels_1_SearchHotel', 'Buses_1_FindBus', 'Buses_1_BuyBusTicket']);
    expect(selected.added).toEqual(['Buses_1_FindBus', 'Buses_1_BuyBusTicket']);
  });

  it("keeps every tool the conversation already called, with its intent's other tools, even when routing moved on", async () => {
    expect(names(await router({ lexical: 0 }).select({ query: 'my balance', intents: ['Banks/CheckBalance'], history: [called('Buses_1_BuyBusTicket')] }))).toEqual([
      'Buses_1_BuyBusTicket',
      'Banks_2_CheckBalance',
      'Buses_1_FindBus',
    ]);
  });

  it('keeps only the called tool itself when calledIntents is off', async () => {
    const selected = await router({ lexical: 0, calledIntents: false }).select({ query: 'my balance', intents: ['Banks/CheckBalance'], history: [called('Buses_1_BuyBusTicket')] });
    expect(names(selected)).toEqual(['Buses_1_BuyBusTicket', 'Banks_2_CheckBalance']);
    expect(selected.intents).toEqual(['Banks/CheckBalance']);
  });

  it('refuses a calledIntents that is not a boolean', () => {
    expect(() => router({ calledIntents: 'no' as unknown as boolean })).toThrow(/calledIntents/);
  });

  it('takes no intent from a called tool that serves most intents (a lookup every intent starts with)', async () => {
    const shared = new Map([
      ['Hotels/SearchHotel', ['Banks_2_CheckBalance', 'Hotels_1_SearchHotel']],
      ['Buses/FindBus', ['Banks_2_CheckBalance', 'Buses_1_FindBus']],
      ['Banks/CheckBalance', ['Banks_2_CheckBalance']],
    ]);
    const selected = await router({ toolsByIntent: shared, lexical: 0 }).select({ query: 'ok', intents: ['Hotels/SearchHotel'], history: [called('Banks_2_CheckBalance')] });
    expect(names(selected)).toEqual(['Banks_2_CheckBalance', 'Hotels_1_SearchHotel']);
    expect(selected.intents).toEqual(['Hotels/SearchHotel']);
  });

  it('adds the tools of the intent whose tool best matches the latest message in words', async () => {
    expect(names(await router().select({ query: 'What is my balance?', intents: [], history: [] }))).toEqual(['Banks_2_CheckBalance']);
    expect(names(await router({ lexical: 0 }).select({ query: 'What is my balance?', intents: [], history: [] }))).toEqual([]);
  });

  it("adds the tools of the latest message's likely candidates above the minimum confidence", async () => {
    const routing: QueryRouting = {
      route: async () => ({ intents: ['Hotels/SearchHotel', 'Buses/FindBus'], decision: 'top-two', candidates: [{ label: 'Hotels/SearchHotel', confidence: 0.45 }, { label: 'Buses/FindBus', confidence: 0.1 }] }),
    };
    expect(names(await router({ router: routing, lexical: 0, candidates: 2, minConfidence: 0.3 }).select({ query: 'somewhere to stay', intents: [], history: [] }))).toEqual(['Hotels_1_SearchHotel', 'Hotels_1_ReserveHotel']);
  });

  it('adds the tools of a confident routing of the latest message alone', async () => {
    const routing: QueryRouting = { route: async (query) => ({ intents: query.includes('bus') ? ['Buses/FindBus'] : ['Banks/CheckBalance'], decision: query.includes('bus') ? 'confident' : 'top-two' }) };
    expect(names(await router({ router: routing }).select({ query: 'I also need a bus', intents: ['Hotels/SearchHotel'], history: [] }))).toEqual([
      'Hotels_1_SearchHotel',
      'Hotels_1_ReserveHotel',
      'Buses_1_FindBus',
      'Buses_1_BuyBusTicket',
    ]);
    expect(names(await router({ router: routing }).select({ query: 'hmm', intents: ['Hotels/SearchHotel'], history: [] }))).toEqual(['Hotels_1_SearchHotel', 'Hotels_1_ReserveHotel']);
  });

  it('leaves out routed tools beyond its token limit and says which', async () => {
    const one = counter.countTools([tools[0]!]);
    const selected = await router({ maxTokens: one }).select({ query: 'a hotel', intents: ['Hotels/SearchHotel'], history: [] });
    expect(names(selected)).toEqual(['Hotels_1_SearchHotel']);
    expect(selected.dropped).toEqual(['Hotels_1_ReserveHotel']);
    expect(counter.countTools(selected.tools)).toBeLessThanOrEqual(one);
  });

  it('uses the default settings for every knob it is not given', () => {
    expect(router().settings).toEqual(TOOL_ROUTING_DEFAULTS);
    expect(router({ lexical: 0 }).settings).toEqual({ ...TOOL_ROUTING_DEFAULTS, lexical: 0 });
  });

  it('reads the tools of each intent from an intent profile', async () => {
    const profile = defineIntentProfile({
      name: 'travel',
      intents: [
        { name: 'Hotels/SearchHotel', description: 'hotels', examples: ['a hotel'], tools: ['Hotels_1_SearchHotel'] },
        { name: 'Buses/FindBus', description: 'buses', examples: ['a bus'] },
      ],
    });
    const fromProfile = ToolRouter.fromProfile(profile, { tools, counter });
    expect(names(await fromProfile.select({ query: 'x', intents: ['Hotels/SearchHotel', 'Buses/FindBus'], history: [] }))).toEqual(['Hotels_1_SearchHotel']);
  });

  it('rejects an intent that names a tool it was not given', () => {
    expect(() => router({ toolsByIntent: new Map([['Hotels/SearchHotel', ['Hotels_9_Nope']]]) })).toThrow(ConfigError);
    expect(() => router({ toolsByIntent: new Map([['Hotels/SearchHotel', ['Hotels_9_Nope']]]) })).toThrow(/Hotels_9_Nope/);
  });

  it('keeps the previous tools as a prefix of every selection (property)', async () => {
    const intents = [...toolsByIntent.keys()];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.subarray(intents), { minLength: 1, maxLength: 6 }), async (turns) => {
        let previous: string[] = [];
        for (const routed of turns) {
          const sent = names(await router().select({ query: 'q', intents: routed, history: [], previous }));
          expect(sent.slice(0, previous.length)).toEqual(previous);
          expect(new Set(sent).size).toBe(sent.length);
          previous = sent;
        }
      }),
      { numRuns: 50 },
    );
  });
});
