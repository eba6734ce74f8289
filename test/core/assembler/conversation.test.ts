import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ContextConversation,
  ConversationIntents,
  customerWordsNewestFirst,
  HashingEmbedder,
  LongTermMemory,
  ProductionContextAssembler,
  sharedCounter,
  WorkingMemory,
  type AssembleRequest,
  type Assembly,
  type ChatMessage,
  type IntentRouting,
  type RouteResult,
} from '../../../core/index.js';
import { techcorpCustomers, techcorpKnowledge } from './fixtures.js';

const counter = sharedCounter('gpt-4o');
const user = (content: string, timestamp?: string): ChatMessage => ({ role: 'user', content, ...(timestamp ? { timestamp } : {}) });
const agent = (content: string): ChatMessage => ({ role: 'assistant', content });

/** A router that answers by the first keyword its text starts with, and records every text it was given. */
class ScriptedRouter implements IntentRouting {
  readonly texts: string[] = [];
  constructor(private readonly script: Record<string, Omit<RouteResult, 'candidates'>>) {}
  async route(text: string): Promise<RouteResult> {
    this.texts.push(text);
    const key = Object.keys(this.script).find((word) => text.startsWith(word));
    const result = key ? this.script[key]! : { intents: ['general_question'], decision: 'top-two', confidence: 0.1 };
    return { ...result, candidates: result.intents.map((label) => ({ label, confidence: result.confidence })) };
  }
}

const script = {
  refund: { intents: ['billing_question'], decision: 'top-two', confidence: 0.3 },
  router: { intents: ['technical_support'], decision: 'confident', confidence: 0.9 },
  order: { intents: ['order_inquiry', 'billing_question'], decision: 'top-two', confidence: 0.4 },
  maybe: { intents: ['account_management'], decision: 'top-two', confidence: 0.2 },
};

describe('customerWordsNewestFirst', () => {
  it('reads the query, then what the customer said before it, newest first, and never the agent', () => {
    const history = [user('I want a refund'), agent('Sure, your name?'), user('Mia Li'), user('the query')];
    expect(customerWordsNewestFirst('the query', history, 100)).toBe('the query Mia Li I want a refund');
  });

  it('cuts the text to the given number of words', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z]{1,6}( [a-z]{1,6}){0,5}$/), { maxLength: 8 }), fc.nat({ max: 20 }), (said, words) => {
        const text = customerWordsNewestFirst('query words here', said.map((s) => user(s)), words);
        expect(text.split(/\s+/).filter(Boolean).length).toBeLessThanOrEqual(words);
      }),
    );
  });
});

describe('ConversationIntents', () => {
  it('keeps the intents when a reply routes less confidently, and reports the routing they follow', async () => {
    const intents = new ConversationIntents(new ScriptedRouter(script));
    expect(await intents.next('refund please', [])).toEqual({ intents: ['billing_question'], established: ['billing_question'], label: 'billing_question', confidence: 0.3 });
    // "Mia Li" routes to general_question at 0.1: the billing context stays.
    expect(await intents.next('Mia Li', [user('refund please')])).toMatchObject({ intents: ['billing_question'], label: 'billing_question', confidence: 0.3 });
  });

  it('switches on a more confident routing; a confident one is established too, a guess is not', async () => {
    const router = new ScriptedRouter(script);
    const intents = new ConversationIntents(router, 3);
    await intents.next('refund please', []);
    const guess = await intents.next('order status', []);
    expect(guess.intents).toEqual(['billing_question', 'order_inquiry']);
    expect(guess.established).toEqual(['billing_question']);
    const confident = await intents.next('router is down', []);
    // Earlier intents keep their positions, the new one comes last.
    expect(confident.intents).toEqual(['billing_question', 'order_inquiry', 'technical_support']);
    expect(confident.established).toEqual(['billing_question', 'technical_support']);
  });

  it('keeps at most `keep` intents loaded, dropping the oldest', async () => {
    const intents = new ConversationIntents(new ScriptedRouter(script), 1);
    await intents.next('refund please', []);
    expect((await intents.next('router is down', [])).intents).toEqual(['technical_support']);
  });

  it('routes the query with the customer words before it', async () => {
    const router = new ScriptedRouter(script);
    await new ConversationIntents(router).next('Mia Li', [user('refund please'), agent('Your name?')]);
    expect(router.texts).toEqual(['Mia Li refund please']);
  });

  it('routes nothing on an empty query and reports no routing for it', async () => {
    const router = new ScriptedRouter(script);
    const intents = new ConversationIntents(router);
    expect(await intents.next('  ', [])).toEqual({ intents: undefined, established: [] });
    await intents.next('refund please', []);
    expect(await intents.next('', [])).toEqual({ intents: ['billing_question'], established: ['billing_question'] });
    expect(router.texts).toHaveLength(1);
  });

  it('never loads more than max(keep, routed) intents and never forgets an established one (property)', async () => {
    const keys = Object.keys(script);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...keys, 'hello'), { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 4 }), async (queries, keep) => {
        const intents = new ConversationIntents(new ScriptedRouter(script), keep);
        let established: string[] = [];
        for (const query of queries) {
          const routed = await intents.next(query, []);
          expect(routed.intents!.length).toBeLessThanOrEqual(Math.max(keep, 2));
          expect(new Set(routed.intents).size).toBe(routed.intents!.length);
          expect(routed.established.slice(0, established.length)).toEqual(established);
          established = routed.established;
        }
      }),
    );
  });
});

/** Records every request and answers with a minimal assembly that sent the requested tools. */
class RecordingAssembler {
  readonly requests: AssembleRequest[] = [];
  constructor(private readonly sent: (call: number) => string[] = () => []) {}
  async assemble(request: AssembleRequest): Promise<Assembly> {
    this.requests.push({ ...request, history: [...(request.history ?? [])] });
    const tools = this.sent(this.requests.length);
    return {
      messages: [{ role: 'user', content: request.query }],
      tools: [],
      text: request.query,
      tokens: 1,
      messageTokens: 1,
      trace: {
        routing: null,
        sections: [],
        overflow: [],
        loaders: [],
        tools: { sent: tools, intents: [], added: [], dropped: [], tokens: 0 },
        memories: [],
        timings: { route: 0, profile: 0, memory: 0, loaders: 0, budget: 0, total: 0 },
      },
    };
  }
}

describe('ContextConversation', () => {
  it('feeds each message into working memory once, and sends what working memory holds', async () => {
    const assembler = new RecordingAssembler();
    const working = new WorkingMemory({ counter, maxMessages: 50 });
    const conversation = new ContextConversation({ assembler, userId: 'alice', working });
    const history = [user('hello'), agent('hi, how can I help?'), user('my router is down')];
    await conversation.turn({ query: 'hello', history: history.slice(0, 1) });
    await conversation.turn({ query: 'my router is down', history });
    expect(working.messages.map((m) => m.content)).toEqual(history.map((m) => m.content));
    expect(assembler.requests[1]!.history!.map((m) => m.content)).toEqual(history.map((m) => m.content));
    expect(assembler.requests[1]).toMatchObject({ userId: 'alice', query: 'my router is down', summary: '' });
  });

  it('refuses a history that does not extend the one before, before feeding or assembling anything', async () => {
    const assembler = new RecordingAssembler();
    const working = new WorkingMemory({ counter });
    const conversation = new ContextConversation({ assembler, userId: 'alice', working });
    const history = [user('hello'), agent('hi'), user('refund please')];
    await conversation.turn({ query: 'refund please', history });
    await expect(conversation.turn({ query: 'again', history: history.slice(0, 2) })).rejects.toThrow(/does not extend the 3 messages .* it is shorter/);
    const edited = [user('hello'), agent('hi'), user('cancel please'), user('again')];
    await expect(conversation.turn({ query: 'again', history: edited })).rejects.toThrow(/message 2 differs/);
    expect(working.messages).toHaveLength(3);
    expect(assembler.requests).toHaveLength(1);
    // The same messages as new objects (a history rebuilt from stored rows) are the same history.
    const rebuilt = [...history.map((m) => ({ ...m })), agent('done')];
    await conversation.turn({ query: 'thanks', history: rebuilt });
    expect(working.messages).toHaveLength(4);
  });

  it('runs turns called at once one after another, in call order, as if awaited in turn', async () => {
    const history = [user('refund please'), agent('ok'), user('order status'), agent('ok'), user('router is down')];
    const turns = [1, 3, 5].map((n) => ({ query: history[n - 1]!.content!, history: history.slice(0, n) }));
    const run = async (concurrent: boolean) => {
      // A summarizer that takes a while, so that an unserialized second turn would feed while the first compacts.
      const working = new WorkingMemory({ counter, maxMessages: 2, summarizer: { summarize: async () => new Promise<string>((resolve) => setTimeout(() => resolve('summary'), 20)) } });
      const assembler = new RecordingAssembler();
      const conversation = new ContextConversation({ assembler, userId: 'alice', working, router: new ScriptedRouter(script), keepIntents: 3 });
      if (concurrent) await Promise.all(turns.map((turn) => conversation.turn(turn)));
      else for (const turn of turns) await conversation.turn(turn);
      return assembler.requests.map((r) => [r.query, r.history!.map((m) => m.content), r.intents]);
    };
    expect(await run(true)).toEqual(await run(false));
    // A failed turn does not block the ones after it.
    const conversation = new ContextConversation({ assembler: new RecordingAssembler(), userId: 'alice', working: new WorkingMemory({ counter }) });
    await conversation.turn({ query: 'a', history: [user('a'), user('b')] });
    const [failed, next] = await Promise.allSettled([conversation.turn({ query: 'x', history: [] }), conversation.turn({ query: 'c', history: [user('a'), user('b'), user('c')] })]);
    expect(failed.status).toBe('rejected');
    expect(next.status).toBe('fulfilled');
  });

  it('goes on after a failed compaction from the first message working memory did not take, feeding none twice', async () => {
    let calls = 0;
    const summarized: string[] = [];
    const summarizer = {
      summarize: async (messages: readonly ChatMessage[]) => {
        if (++calls === 1) throw new Error('summarizer down');
        summarized.push(...messages.map((m) => m.content!));
        return 'summary';
      },
    };
    const working = new WorkingMemory({ counter, maxMessages: 4, summarizer });
    const conversation = new ContextConversation({ assembler: new RecordingAssembler(), userId: 'alice', working });
    const history = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((text) => user(text));
    await expect(conversation.turn({ query: 'e', history: history.slice(0, 5) })).rejects.toThrow('summarizer down');
    // "e" was taken before its compaction failed; the next turn compacts and goes on with "f" and "g".
    await conversation.turn({ query: 'g', history });
    // Every message went through working memory once: summarized (evicted) or still kept, in order.
    expect([...summarized, ...working.messages.map((m) => m.content)]).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    // A message working memory refuses is not counted as fed: the same history fails the same way again.
    const strict = new ContextConversation({ assembler: new RecordingAssembler(), userId: 'alice', working: new WorkingMemory({ counter }) });
    const orphan: ChatMessage = { role: 'tool', tool_call_id: 'call-9', content: 'result' };
    await expect(strict.turn({ query: 'x', history: [user('x'), orphan] })).rejects.toThrow(/answers no pending tool call/);
    await expect(strict.turn({ query: 'x', history: [user('x'), orphan] })).rejects.toThrow(/answers no pending tool call/);
  });

  it('stores the messages compaction evicts as dated long-term memories of the thread, numbered across compactions', async () => {
    const longTerm = new LongTermMemory({ embedder: new HashingEmbedder(), now: () => new Date('2024-06-01T00:00:00Z') });
    const working = new WorkingMemory({ counter, maxMessages: 4 });
    const conversation = new ContextConversation({ assembler: new RecordingAssembler(), userId: 'alice', working, longTerm, thread: 'chat-7' });
    const texts = ['my name is Mia Li', 'I ordered a router', 'order ORD-1001', 'it arrived broken', 'please refund it', 'to my card', 'the one ending 4242', 'thanks'];
    const history = texts.map((text, i) => user(text, `2024-05-0${i + 1}T10:00:00Z`));
    await conversation.turn({ query: 'please refund it', history: history.slice(0, 5) });
    await conversation.turn({ query: 'thanks', history });
    expect(working.compactions).toBe(2);
    const stored = (await longTerm.list('alice')).sort((a, b) => Number(a.metadata?.position) - Number(b.metadata?.position));
    expect(stored.map((m) => [m.content, m.createdAt, m.metadata])).toEqual(
      texts.slice(0, 6).map((text, i) => [`user: ${text}`, `2024-05-0${i + 1}T10:00:00.000Z`, { thread: 'chat-7', position: i }]),
    );
    expect(working.messages.map((m) => m.content)).toEqual(texts.slice(6));
  });

  it('remembers every evicted message when one holds half a character, as U+FFFD (a review found the turn failed and the batch was lost)', async () => {
    const longTerm = new LongTermMemory({ embedder: new HashingEmbedder(), now: () => new Date('2024-06-01T00:00:00Z') });
    const working = new WorkingMemory({ counter, maxMessages: 2 });
    const conversation = new ContextConversation({ assembler: new RecordingAssembler(), userId: 'alice', working, longTerm });
    const history = [user('order ORD-1 arrived broken \uD83D'), agent('sorry, which item?'), user('the tent')];
    await conversation.turn({ query: 'the tent', history });
    expect((await longTerm.list('alice')).map((m) => m.content).sort()).toEqual(['assistant: sorry, which item?', 'user: order ORD-1 arrived broken \uFFFD']);
  });

  it('pins the conversation intents, and with toolIntents "established" routes the tools by the established ones only', async () => {
    const assembler = new RecordingAssembler();
    const conversation = new ContextConversation({ assembler, userId: 'alice', working: new WorkingMemory({ counter }), router: new ScriptedRouter(script), keepIntents: 3, toolIntents: 'established' });
    await conversation.turn({ query: 'refund please', history: [user('refund please')] });
    const turn = await conversation.turn({ query: 'order status', history: [user('refund please'), agent('ok'), user('order status')] });
    expect(assembler.requests.map((r) => [r.intents, r.toolIntents])).toEqual([
      [['billing_question'], ['billing_question']],
      [['billing_question', 'order_inquiry'], ['billing_question']],
    ]);
    expect(turn.intent).toEqual({ label: 'order_inquiry', confidence: 0.4 });
  });

  it('leaves routing to the assembler without a router, and the tools to the loaded intents by default', async () => {
    const routed = new RecordingAssembler();
    await new ContextConversation({ assembler: routed, userId: 'alice', working: new WorkingMemory({ counter }), router: new ScriptedRouter(script) }).turn({ query: 'refund please', history: [] });
    expect(routed.requests[0]!.toolIntents).toBeUndefined();
    const unrouted = new RecordingAssembler();
    const turn = await new ContextConversation({ assembler: unrouted, userId: 'alice', working: new WorkingMemory({ counter }) }).turn({ query: 'refund please', history: [] });
    expect(unrouted.requests[0]!.intents).toBeUndefined();
    expect(turn.intent).toBeUndefined();
  });

  it('gives the assembler the tools it sent at the previous turn, so they keep their positions', async () => {
    const assembler = new RecordingAssembler((call) => (call === 1 ? ['get_order'] : ['get_order', 'refund']));
    const conversation = new ContextConversation({ assembler, userId: 'alice', working: new WorkingMemory({ counter }) });
    for (const query of ['one', 'two', 'three']) await conversation.turn({ query, history: [] });
    expect(assembler.requests.map((r) => r.previousTools)).toEqual([[], ['get_order'], ['get_order', 'refund']]);
  });

  it('compacts early at a turn whose tools changed when working memory is full enough, and assembles with the compacted memory', async () => {
    // Tools change at the fourth call: the fourth turn's first assembly.
    const run = async (compactAtChange?: number, maxMessages = 10) => {
      const assembler = new RecordingAssembler((call) => (call < 4 ? ['get_order'] : ['get_order', 'refund']));
      const working = new WorkingMemory({ counter, maxMessages });
      const conversation = new ContextConversation({ assembler, userId: 'alice', working, ...(compactAtChange === undefined ? {} : { compactAtChange }) });
      const history: ChatMessage[] = [];
      for (let i = 0; i < 4; i++) {
        history.push(user(`message ${i}`), agent(`reply ${i}`));
        await conversation.turn({ query: `message ${i}`, history });
      }
      return { assembler, working };
    };
    // Off (the default): 8 of 10 messages, no compaction, one assembly a turn.
    const off = await run();
    expect(off.working.compactions).toBe(0);
    expect(off.assembler.requests).toHaveLength(4);
    // At 0.5: the fourth turn holds 8 of 10 messages when its tools change, so it compacts and assembles again.
    const early = await run(0.5);
    expect(early.working.compactions).toBe(1);
    expect(early.assembler.requests).toHaveLength(5);
    const [before, after] = early.assembler.requests.slice(3, 5);
    expect(before!.history!.length).toBe(8);
    expect(after!.history!.length).toBeLessThan(8);
    expect(after!.summary).not.toBe('');
    // At 0.9 the fourth turn is not full enough (0.8).
    expect((await run(0.9)).working.compactions).toBe(0);
    // Off by default and at 1, even when working memory is exactly full (8 of 8) at the change.
    expect((await run(undefined, 8)).working.compactions).toBe(0);
    expect((await run(1, 8)).working.compactions).toBe(0);
  });

  it('compacts early at a turn whose loaded intents changed, the tools staying as they were', async () => {
    const router = new ScriptedRouter({ billing: { intents: ['billing_question'], decision: 'confident', confidence: 0.9 }, router: { intents: ['technical_support'], decision: 'confident', confidence: 0.95 } });
    const working = new WorkingMemory({ counter, maxMessages: 10 });
    const conversation = new ContextConversation({ assembler: new RecordingAssembler(() => ['get_order']), userId: 'alice', working, router, compactAtChange: 0.5 });
    const history: ChatMessage[] = [];
    for (const query of ['billing one', 'billing two', 'billing three', 'router down']) {
      history.push(user(query), agent('ok'));
      await conversation.turn({ query, history });
    }
    expect(working.compactions).toBe(1);
  });

  it('refuses a compactAtChange outside 0..1', () => {
    expect(() => new ContextConversation({ assembler: new RecordingAssembler(), userId: 'alice', working: new WorkingMemory({ counter }), compactAtChange: 1.5 })).toThrow(/compactAtChange = 1.5/);
  });

  it('assembles real contexts through ProductionContextAssembler: the summary and the kept messages, within budget', async () => {
    const working = new WorkingMemory({ counter, maxMessages: 6 });
    const conversation = new ContextConversation({
      assembler: new ProductionContextAssembler({ systemPrompt: 'You are the TechCorp support agent.', customers: techcorpCustomers(), knowledge: techcorpKnowledge(), counter }),
      userId: 'alice',
      working,
    });
    const history: ChatMessage[] = [];
    let turn: Assembly | undefined;
    for (let i = 0; i < 10; i++) {
      history.push(user(`message ${i}: order ORD-1001 has not arrived`));
      turn = await conversation.turn({ query: history.at(-1)!.content!, history });
      history.push(agent(`reply ${i}`));
    }
    expect(working.compactions).toBeGreaterThan(0);
    expect(turn!.messageTokens).toBeLessThanOrEqual(8000);
    expect(turn!.text).toContain(working.summary.split('\n').at(-1)!);
    expect(turn!.messages.at(-1)).toEqual({ role: 'user', content: 'message 9: order ORD-1001 has not arrived' });
  });
});
