import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUDGETS, DEFAULT_VARIANT, measure } from '../../../bench/locomo-memory.js';
import { ConfigError } from '../../../core/errors.js';
import type { Episode } from '../../../core/harness/episode.js';
import { HashingEmbedder } from '../../../core/memory/embedding.js';
import { LongTermMemory, type MemoryInput } from '../../../core/memory/long-term.js';
import { OpenAiEmbedder } from '../../../core/memory/openai-embedder.js';
import { ContextReranker, MemoryRetrievalPipeline, type RerankCandidate, type Reranker } from '../../../core/memory/retrieval.js';
import { ShortTermMemory } from '../../../core/memory/short-term.js';
import type { Embedder } from '../../../core/memory/types.js';
import { WorkingMemory } from '../../../core/memory/working-memory.js';
import { TokenCounter } from '../../../core/tokens/counter.js';
import { startFakeOpenAi, type FakeResponse } from '../../support/openai-server.js';

const counter = new TokenCounter({ model: 'gpt-4o' });
const NOW = new Date('2024-02-01T00:00:00.000Z');
const hashing = new HashingEmbedder({ dimension: 256 });
const longTermWith = (embedder: Embedder = hashing) => new LongTermMemory({ embedder, now: () => NOW });
const memoryOf = (userId: string, content: string, extra: Partial<MemoryInput> = {}): MemoryInput => ({ userId, content, type: 'semantic', ...extra });

/** The lab design's customer: one shipping complaint among unrelated memories, and another customer's order. */
async function labMemories(embedder?: Embedder): Promise<LongTermMemory> {
  const longTerm = longTermWith(embedder);
  await longTerm.storeMany([
    memoryOf('test_user', 'User complained about shipping on Jan 15', { type: 'episodic', createdAt: '2024-01-15T10:00:00Z' }),
    memoryOf('test_user', 'User prefers email over phone calls', { importance: 0.7 }),
    memoryOf('test_user', 'Resetting the router fixed the connection drops', { type: 'procedural' }),
    memoryOf('test_user', 'User has a premium account since 2021'),
    memoryOf('other_user', 'Order ORD-9 was delayed by the courier', { type: 'episodic' }),
  ]);
  return longTerm;
}

describe('the lab design case', () => {
  const query = 'Why was my last order delayed?';

  it('retrieves the shipping complaint for test_user, offline, and ranks it first for an order intent', async () => {
    const longTerm = await labMemories();
    const pipeline = new MemoryRetrievalPipeline({ longTerm, counter, intentTypes: { order_status: ['episodic'] } });
    const all = await pipeline.retrieve(query, { userId: 'test_user', maxTokens: 300 });
    expect(all.items.map((item) => item.content)).toContain('User complained about shipping on Jan 15');
    expect(all.text).not.toContain('ORD-9');
    const routed = await pipeline.retrieve(query, { userId: 'test_user', intent: 'order_status', maxTokens: 300 });
    expect(routed.items.map((item) => item.content)).toEqual(['User complained about shipping on Jan 15']);
  });

  describe('with a semantic embedder (OpenAI-compatible, fake server)', () => {
    // Vectors by topic, as a semantic model would give: shipping, orders and delays are one topic.
    const topics = [/ship|order|deliver|delay|late|courier/i, /email|phone|call/i, /router|connection/i, /account|premium/i];
    const vectorOf = (text: string) => [...topics.map((topic) => (topic.test(text) ? 1 : 0)), 0.1];
    let server: Awaited<ReturnType<typeof startFakeOpenAi>>;
    beforeAll(async () => {
      server = await startFakeOpenAi({
        '/v1/embeddings': (body): FakeResponse => ({ body: { object: 'list', data: (body.input as string[]).map((text, index) => ({ object: 'embedding', index, embedding: vectorOf(text) })) } }),
      });
    });
    afterAll(() => server.close());

    it('ranks the shipping complaint first without any intent', async () => {
      const embedder = new OpenAiEmbedder({ baseURL: server.baseURL, apiKey: 'test', model: 'test-embed' }, { dimension: 5 });
      const pipeline = new MemoryRetrievalPipeline({ longTerm: await labMemories(embedder), counter });
      const { items } = await pipeline.retrieve(query, { userId: 'test_user', maxTokens: 300 });
      expect(items[0]).toMatchObject({ source: 'long-term', content: 'User complained about shipping on Jan 15' });
    });
  });
});

describe('budget and isolation', () => {
  const words = ['order', 'refund', 'router', 'email', 'shipping', 'delayed', 'premium', 'ZFA04Y', '東京', '👋'];
  const text = fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 30 }).map((parts) => parts.join(' '));

  it('never exceeds maxTokens and never returns another user\'s memory (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ userId: fc.constantFrom('alice', 'bob'), content: text }), { maxLength: 20 }),
        fc.array(text, { maxLength: 4 }),
        text,
        fc.integer({ min: 0, max: 400 }),
        async (inputs, conversation, query, maxTokens) => {
          const longTerm = longTermWith();
          await longTerm.storeMany(inputs.map((input, position) => memoryOf(input.userId, input.content, { metadata: { thread: input.userId, position } })));
          const working = new WorkingMemory({ counter });
          for (const content of conversation) await working.add({ role: 'user', content });
          const result = await new MemoryRetrievalPipeline({ longTerm, counter, working, workingUserId: 'alice' }).retrieve(query, { userId: 'alice', maxTokens });
          expect(result.tokens).toBe(counter.count(result.text));
          expect(result.tokens).toBeLessThanOrEqual(maxTokens);
          const memories = result.items.filter((item) => item.source === 'long-term');
          expect((await Promise.all(memories.map((item) => longTerm.get(item.id)))).every((found) => found!.userId === 'alice')).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('rejects a working share outside 0..1 and a negative candidate count', () => {
    expect(() => new MemoryRetrievalPipeline({ longTerm: longTermWith(), counter, workingShare: 2 })).toThrow(ConfigError);
    expect(() => new MemoryRetrievalPipeline({ longTerm: longTermWith(), counter, candidates: -1 })).toThrow(/candidates/);
  });
});

describe('what the context holds', () => {
  it('puts the working context first, then recent sessions, then long-term memories, each with its score', async () => {
    const longTerm = await labMemories();
    const working = new WorkingMemory({ counter });
    await working.add({ role: 'user', content: 'Hello, I need help with my router.' });
    const shortTerm = new ShortTermMemory({ now: () => NOW });
    shortTerm.endSession({ userId: 'test_user', sessionId: 's1', summary: 'Router support call.', facts: ['router model AX-3000'], endedAt: '2024-01-30T00:00:00Z' });
    shortTerm.endSession({ userId: 'other_user', sessionId: 's9', summary: 'Router replaced for other_user.', facts: [], endedAt: '2024-01-30T00:00:00Z' });
    const pipeline = new MemoryRetrievalPipeline({ longTerm, counter, working, workingUserId: 'test_user', shortTerm });
    const { items, text } = await pipeline.retrieve('router keeps dropping', { userId: 'test_user', maxTokens: 500 });
    expect(items[0]).toEqual({ source: 'working', id: 'working', content: 'user: Hello, I need help with my router.', score: 1 });
    expect(items.map((item) => item.source)).toContain('short-term');
    expect(text).not.toContain('other_user');
    expect(text.indexOf('# Current conversation')).toBeLessThan(text.indexOf('# Recent sessions'));
    expect(text.indexOf('# Recent sessions')).toBeLessThan(text.indexOf('# Long-term memory'));
    const scores = items.slice(1).map((item) => item.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('brings the turns next to a hit along, in conversation order under their date', async () => {
    const longTerm = longTermWith();
    const turns = ['Hi there!', 'My parcel went to the wrong city.', 'Which city did it go to?', 'It ended up in Porto.', 'Thanks for waiting.'];
    await longTerm.storeMany(turns.map((content, position) => memoryOf('u1', content, { type: 'episodic', createdAt: '2024-01-10T09:00:00Z', metadata: { thread: 'chat-1', position } })));
    const pipeline = new MemoryRetrievalPipeline({ longTerm, counter, candidates: 1, reranker: new ContextReranker({ neighbourWeight: 0 }) });
    const { text } = await pipeline.retrieve('parcel wrong city', { userId: 'u1', maxTokens: 200 });
    expect(text).toBe(['# Long-term memory', '[2024-01-10]', '- Hi there!', '- My parcel went to the wrong city.', '- Which city did it go to?'].join('\n'));
  });

  it('lifts the turn right after a strong hit above an unrelated weak one (neighbour smoothing)', async () => {
    const longTerm = longTermWith();
    const turns = ['Where did the parcel with the blue lamp go?', 'It went to Porto.', 'A blue pen.'];
    await longTerm.storeMany(turns.map((content, position) => memoryOf('u1', content, { type: 'episodic', metadata: { thread: position < 2 ? 'chat-1' : 'chat-2', position } })));
    const pipeline = (neighbourWeight: number) => new MemoryRetrievalPipeline({ longTerm, counter, neighbours: 0, reranker: new ContextReranker({ neighbourWeight }) });
    const order = async (neighbourWeight: number) => (await pipeline(neighbourWeight).retrieve('parcel blue lamp', { userId: 'u1', maxTokens: 200 })).items.map((item) => item.content);
    expect((await order(0)).indexOf('It went to Porto.')).toBeGreaterThan((await order(0)).indexOf('A blue pen.'));
    expect((await order(0.5)).slice(0, 2)).toEqual(['Where did the parcel with the blue lamp go?', 'It went to Porto.']);
    expect(() => new ContextReranker({ neighbourWeight: -1 })).toThrow(ConfigError);
  });

  it('lets a plugged-in reranker decide the order', async () => {
    const reversed: Reranker = { rerank: (_query, candidates) => [...candidates].reverse().map((c: RerankCandidate, i) => ({ ...c, score: candidates.length - i })) };
    const longTerm = await labMemories();
    const { items } = await new MemoryRetrievalPipeline({ longTerm, counter, reranker: reversed }).retrieve('router', { userId: 'test_user', maxTokens: 300 });
    const plain = await new MemoryRetrievalPipeline({ longTerm, counter, reranker: new ContextReranker({ neighbourWeight: 0 }) }).retrieve('router', { userId: 'test_user', maxTokens: 300 });
    expect(items.map((item) => item.id)).toEqual(plain.items.map((item) => item.id).reverse());
  });
});

describe('the LoCoMo memory benchmark', () => {
  it('stores every turn and measures the evidence recall of each question at every budget', async () => {
    const said = (name: string, content: string, session: number, diaId: string) => ({ role: 'user' as const, name, content, timestamp: `2023-05-0${session}T13:56:00.000Z`, metadata: { diaId, session } });
    const episode: Episode = {
      id: 'locomo/tiny',
      dataset: 'locomo',
      userId: 'Ann',
      systemPrompt: '',
      knowledge: [],
      messages: [said('Ann', 'I adopted a cat named Miso.', 1, 'D1:1'), said('Bo', 'Lovely! What colour is Miso?', 1, 'D1:2'), said('Ann', 'Miso is ginger.', 1, 'D1:3'), said('Bo', 'I ran a marathon in Oslo.', 2, 'D2:1')],
      turns: [
        { at: 4, query: 'What colour is the cat Ann adopted?', probes: [{ kind: 'evidence', evidence: ['I adopted a cat named Miso.', 'Miso is ginger.'] }] },
        { at: 4, query: 'Where did Bo run a marathon?', probes: [{ kind: 'evidence', evidence: ['I ran a marathon in Oslo.'] }] },
      ],
    };
    const measured = await measure(DEFAULT_VARIANT, [episode], counter);
    expect(measured).toMatchObject({ questions: 2, merged: 0 });
    for (const budget of BUDGETS) expect(measured.recall[budget]).toBe(1);
    expect(measured.latencyP95Ms).toBeGreaterThanOrEqual(measured.latencyP50Ms);
  });
});
