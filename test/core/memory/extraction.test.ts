import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../../core/messages.js';
import { HashingEmbedder } from '../../../core/memory/embedding.js';
import { extractAndStore, LlmExtractor, RuleExtractor, type ExtractedMemory } from '../../../core/memory/extraction.js';
import { LongTermMemory } from '../../../core/memory/long-term.js';
import { chatCompletion, startFakeOpenAi, type FakeResponse } from '../../support/openai-server.js';

const user = (content: string, timestamp?: string): ChatMessage => ({ role: 'user', content, ...(timestamp ? { timestamp } : {}) });
const agent = (content: string): ChatMessage => ({ role: 'assistant', content });
const longTerm = () => new LongTermMemory({ embedder: new HashingEmbedder({ dimension: 256 }), now: () => new Date('2024-02-01T00:00:00Z') });
const extract = async (conversation: ChatMessage[]) => (await new RuleExtractor().extract(conversation)).memories;
const only = (memories: ExtractedMemory[], type: ExtractedMemory['type']) => memories.filter((m) => m.type === type);

describe('RuleExtractor', () => {
  it('turns stated preferences into semantic memories about the user', async () => {
    const memories = await extract([user('I prefer email updates. Please never call me before noon. I like the new app.')]);
    expect(only(memories, 'semantic').map((m) => m.content)).toEqual(['User prefers email updates.', 'Please never call the user before noon.', 'User likes the new app.']);
  });

  it('keeps account facts, ids, emails and phones as semantic memories', async () => {
    const memories = await extract([user('My email is jo@example.com. Reservation ZFA04Y is for two. Call 555-123-4567 if needed.')]);
    expect(only(memories, 'semantic').map((m) => m.content)).toEqual(["User's email is jo@example.com.", 'Reservation ZFA04Y is for two.', 'Call 555-123-4567 if needed.']);
  });

  it('records a complaint as an episodic memory dated by its message, with the sentence it leans on', async () => {
    const memories = await extract([user("Hi, my order #48213 hasn't arrived. It was due on Jan 15.", '2024-01-20T09:00:00Z')]);
    expect(memories).toEqual([{ content: "User's order #48213 hasn't arrived. It was due on Jan 15.", type: 'episodic', importance: 0.8, createdAt: '2024-01-20T09:00:00Z' }]);
  });

  it('rates a sentence dense with ids and dates above a bare one of the same cue', async () => {
    const [bare, dense] = await extract([user('I always want paper invoices.'), user('I always want invoices for ORD-1234 and ORD-5678 by 2024-03-01.')]);
    expect(dense!.importance).toBeGreaterThan(bare!.importance);
  });

  it('remembers what resolved an issue once the user confirms it, without the pleasantries', async () => {
    const memories = await extract([
      user('My router keeps dropping the connection.'),
      agent('Sorry to hear that! Unplug the router for 30 seconds, then update its firmware.'),
      user('That fixed it, thanks!'),
    ]);
    expect(only(memories, 'procedural')).toEqual([
      expect.objectContaining({ content: `Resolved "User's router keeps dropping the connection." with: Unplug the router for 30 seconds, then update its firmware. (the user confirmed it worked)` }),
    ]);
  });

  it("records the agent's reported actions, and ignores small talk", async () => {
    const memories = await extract([user('The weather is nice today'), agent("I've issued a refund of $45.00 to your card. Have a nice day!")]);
    expect(memories.map((m) => m.content)).toEqual(["Agent: I've issued a refund of $45.00 to your card."]);
  });
});

describe('extractAndStore', () => {
  it('stores what the extractor found for the user, merging facts said twice', async () => {
    const memory = longTerm();
    const conversation = [user('I prefer email updates.'), agent('Noted.'), user('I prefer email updates.')];
    const { stored, skipped } = await extractAndStore(conversation, 'u1', { memory });
    expect(stored.map((s) => s.action)).toEqual(['added', 'updated']);
    expect(skipped).toEqual([]);
    expect(await memory.list('u1')).toEqual([expect.objectContaining({ content: 'User prefers email updates.', type: 'semantic', metadata: { extractor: 'rules' } })]);
  });
});

describe('LlmExtractor (fake OpenAI-compatible server)', () => {
  let server: Awaited<ReturnType<typeof startFakeOpenAi>>;
  let answers: FakeResponse[];
  let logged: string[];
  const extractor = (options = {}) =>
    new LlmExtractor({ baseURL: server.baseURL, apiKey: 'test', model: 'test-model', maxRetries: 0 }, { log: (reason) => logged.push(reason), ...options });
  const valid = JSON.stringify({ memories: [{ content: 'The user complained about shipping on Jan 15.', type: 'episodic', importance: 0.7, occurredAt: '2024-01-15' }] });
  const conversation = [user('Shipping was late again on Jan 15, I am unhappy.', '2024-01-16T08:00:00Z')];

  beforeEach(async () => {
    answers = [];
    logged = [];
    server = await startFakeOpenAi({ '/v1/chat/completions': () => answers.shift() ?? chatCompletion('{"memories": []}') });
  });
  afterEach(() => server.close());

  it('stores the memories of a valid JSON answer, dated by occurredAt', async () => {
    answers.push(chatCompletion(valid));
    const memory = longTerm();
    const { stored } = await extractAndStore(conversation, 'test_user', { memory, extractor: extractor() });
    expect(stored.map((s) => s.memory)).toEqual([
      expect.objectContaining({ userId: 'test_user', content: 'The user complained about shipping on Jan 15.', type: 'episodic', importance: 0.7, createdAt: '2024-01-15T00:00:00.000Z', metadata: { extractor: 'llm' } }),
    ]);
    expect(server.requests[0]!.body).toMatchObject({ model: 'test-model', response_format: { type: 'json_object' } });
  });

  it('retries a malformed answer, telling the model what was wrong, and uses the corrected one', async () => {
    answers.push(chatCompletion(JSON.stringify({ memories: [{ content: 'x', type: 'fact', importance: 0.5 }] })), chatCompletion(valid));
    const { memories, skipped } = await extractor().extract(conversation);
    expect(memories).toHaveLength(1);
    expect(skipped).toEqual([]);
    const retry = server.requests[1]!.body.messages as Array<{ role: string; content: string }>;
    expect(retry.at(-1)!.content).toMatch(/memories\.0\.type/);
  });

  it('skips a chunk that stays malformed, logging why, without throwing', async () => {
    answers.push(chatCompletion('Sure! Here are the memories: none'), chatCompletion('{"memories": "none"}'));
    const { stored, skipped } = await extractAndStore(conversation, 'u1', { memory: longTerm(), extractor: extractor({ retries: 1 }) });
    expect(stored).toEqual([]);
    expect(server.requests).toHaveLength(2);
    expect(skipped).toEqual([expect.stringMatching(/messages 0-0 skipped: malformed answer after 2 attempts: memories/)]);
    expect(logged).toEqual(skipped);
  });

  it('skips a chunk whose request fails with a 500, and goes on with the next chunk', async () => {
    answers.push({ status: 500, body: { error: { message: 'upstream exploded' } } }, chatCompletion(valid));
    const { memories, skipped } = await extractor({ chunkMessages: 1 }).extract([...conversation, user('And it happened again.')]);
    expect(skipped).toEqual([expect.stringMatching(/messages 0-0 skipped: the endpoint failed: 500/)]);
    expect(memories).toHaveLength(1);
  });
});
