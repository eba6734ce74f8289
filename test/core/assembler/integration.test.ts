// The lab design's integration cases (Part 5), on real parts: the trained TechCorp router, the
// long-term memory with its retrieval pipeline, the TechCorp loaders over a customer source.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  HashingEmbedder,
  IntentRouter,
  LinearIntentClassifier,
  LongTermMemory,
  MemoryRetrievalPipeline,
  ProductionContextAssembler,
  profileExamples,
  sharedCounter,
  TECHCORP_INTENTS,
  type ChatMessage,
  type MemoryRetrieval,
} from '../../../core/index.js';
import { techcorpCustomers, techcorpKnowledge } from './fixtures.js';

const counter = sharedCounter('gpt-4o');
let classifier: LinearIntentClassifier;

beforeAll(() => {
  classifier = LinearIntentClassifier.train(profileExamples(TECHCORP_INTENTS));
});

function assemblerWith(longTerm: LongTermMemory, threshold = 0.5, lowConfidence: 'top-two' | 'fallback' = 'fallback') {
  const pipeline = new MemoryRetrievalPipeline({ longTerm, counter });
  const memory: MemoryRetrieval = {
    retrieve: async (query, options) => {
      const { text, items } = await pipeline.retrieve(query, { userId: options.userId, maxTokens: options.maxTokens });
      return { text, items };
    },
  };
  const router = new IntentRouter({ classifier, threshold, lowConfidence, fallbackIntent: 'general_question' });
  return new ProductionContextAssembler({ systemPrompt: 'You are the TechCorp support agent.', customers: techcorpCustomers(), knowledge: techcorpKnowledge(), router, memory, counter });
}

const memoryAt = (iso: string) => new LongTermMemory({ embedder: new HashingEmbedder(), now: () => new Date(iso) });

describe('lab design integration cases', () => {
  it('keeps the context within 8,000 tokens with a very long history', async () => {
    const history: ChatMessage[] = Array.from({ length: 600 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `Turn ${i}: the router keeps dropping and order ORD-1001 is still not here, please help.` }));
    const assembly = await assemblerWith(memoryAt('2024-01-20T00:00:00Z')).assemble({ userId: 'alice', query: 'Where is my order?', history });
    expect(counter.count(assembly.text)).toBeLessThanOrEqual(8000);
    expect(counter.countMessages(assembly.messages)).toBeLessThanOrEqual(8000);
  });

  it('retrieves a stored episodic memory for a related question', async () => {
    const longTerm = memoryAt('2024-01-20T00:00:00Z');
    await longTerm.store({ userId: 'test_user', content: 'User complained about shipping on Jan 15', type: 'episodic', createdAt: '2024-01-15T10:00:00Z' });
    await longTerm.store({ userId: 'someone_else', content: 'Someone else complained about shipping too', type: 'episodic' });
    const assembly = await assemblerWith(longTerm).assemble({ userId: 'test_user', query: 'Why was my last order delayed?' });
    expect(assembly.text).toMatch(/shipping|complained/);
    expect(assembly.text).not.toContain('Someone else');
    expect(assembly.trace.memories.map((m) => m.source)).toContain('long-term');
  });

  it('loads billing context for "Why was I charged twice?"', async () => {
    const assembly = await assemblerWith(memoryAt('2024-01-20T00:00:00Z')).assemble({ userId: 'alice', query: 'Why was I charged twice?' });
    expect(assembly.trace.routing).toMatchObject({ intents: ['billing_question'], decision: 'confident' });
    expect(assembly.text.toLowerCase()).toMatch(/invoice|payment/);
    expect(assembly.text).toContain('Possible duplicate charges');
  });

  it('falls back to general context on a low-confidence query and records it', async () => {
    const assembly = await assemblerWith(memoryAt('2024-01-20T00:00:00Z'), 0.99).assemble({ userId: 'alice', query: 'hmm' });
    expect(assembly.trace.routing).toMatchObject({ decision: 'fallback', intents: ['general_question'] });
    expect(assembly.trace.loaders.map((l) => l.loader)).toEqual(['policy']);
  });

  it('loads the contexts of the top two intents on a low-confidence query when asked to', async () => {
    const assembly = await assemblerWith(memoryAt('2024-01-20T00:00:00Z'), 0.99, 'top-two').assemble({ userId: 'alice', query: 'my order was charged twice' });
    expect(assembly.trace.routing!.decision).toBe('top-two');
    expect(assembly.trace.routing!.intents).toHaveLength(2);
    expect(new Set(assembly.trace.loaders.map((l) => l.intent)).size).toBe(2);
  });
});
