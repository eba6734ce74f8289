import { describe, expect, it } from 'vitest';
import { ConfigError, InputError } from '../../../core/errors.js';
import { HashingEmbedder } from '../../../core/memory/embedding.js';
import { LongTermMemory, type MemoryInput } from '../../../core/memory/long-term.js';
import { MemoryRetrievalPipeline } from '../../../core/memory/retrieval.js';
import { ShortTermMemory } from '../../../core/memory/short-term.js';
import { WorkingMemory } from '../../../core/memory/working-memory.js';
import { TokenCounter } from '../../../core/tokens/counter.js';

const counter = new TokenCounter({ model: 'gpt-4o' });
const NOW = new Date('2024-02-01T00:00:00.000Z');
const longTermWith = (options: Record<string, unknown> = {}) => new LongTermMemory({ embedder: new HashingEmbedder({ dimension: 64 }), now: () => NOW, ...options });
const fact = (userId: string, content: string, extra: Record<string, unknown> = {}): MemoryInput => ({ userId, content, type: 'semantic', ...extra }) as MemoryInput;

async function twoUsers() {
  const longTerm = longTermWith();
  await longTerm.store(fact('u1', 'u1 owns a red bicycle'));
  await longTerm.store(fact('u2', 'u2 prefers email about the bicycle order'));
  const working = new WorkingMemory({ counter });
  await working.add({ role: 'user', content: 'u1 secret: my card ends in 4242' });
  return { longTerm, working };
}

describe('retrieval pipeline: working memory belongs to one user', () => {
  it("never shows one user's working conversation to another", async () => {
    const { longTerm, working } = await twoUsers();
    const pipeline = new MemoryRetrievalPipeline({ longTerm, counter, working, workingUserId: 'u1' });
    await expect(pipeline.retrieve('bicycle', { userId: 'u2', maxTokens: 500 })).rejects.toThrow(InputError);
    await expect(pipeline.retrieve('bicycle', { userId: 'u2', maxTokens: 500 })).rejects.toThrow(/userId = "u2".*working memory/);
    const own = await pipeline.retrieve('bicycle', { userId: 'u1', maxTokens: 500 });
    expect(own.text).toContain('4242');
    expect(own.text).not.toContain('u2 prefers');
  });

  it('requires workingUserId with working memory', async () => {
    const { longTerm, working } = await twoUsers();
    expect(() => new MemoryRetrievalPipeline({ longTerm, counter, working })).toThrow(ConfigError);
    expect(() => new MemoryRetrievalPipeline({ longTerm, counter, working })).toThrow(/workingUserId/);
    expect(() => new MemoryRetrievalPipeline({ longTerm, counter, workingUserId: 'u1' } as never)).toThrow(/working is missing/);
  });

  it('refuses a retrieve without a userId, or with a blank one', async () => {
    const pipeline = new MemoryRetrievalPipeline({ longTerm: longTermWith(), counter });
    await expect(pipeline.retrieve('x', { maxTokens: 100 } as never)).rejects.toThrow(InputError);
    await expect(pipeline.retrieve('x', { maxTokens: 100 } as never)).rejects.toThrow(/userId/);
    await expect(pipeline.retrieve('x', { userId: '  ', maxTokens: 100 })).rejects.toThrow(/userId/);
    await expect(pipeline.retrieve('x', { userId: 'u', maxTokens: Number.NaN })).rejects.toThrow(/maxTokens = NaN/);
  });
});

describe('working memory: a refused add changes nothing', () => {
  it('validates a message before appending it', async () => {
    const memory = new WorkingMemory({ counter, maxMessages: 3 });
    await memory.add({ role: 'user', content: 'a' });
    const before = memory.messages;
    const tokens = memory.tokens;
    await expect(memory.add({ role: 'user', content: { text: 'b' } } as never)).rejects.toThrow(InputError);
    await expect(memory.add({ role: 'user', content: { text: 'b' } } as never)).rejects.toThrow(/content/);
    await expect(memory.add({ role: 'robot', content: 'b' } as never)).rejects.toThrow(/role/);
    expect(memory.messages).toEqual(before);
    expect(memory.tokens).toBe(tokens);
    for (const content of ['c', 'd', 'e', 'f']) await memory.add({ role: 'user', content });
    expect(memory.messages.at(-1)?.content).toBe('f');
    expect(memory.compactions).toBeGreaterThan(0);
  });

  it('refuses an unknown option with the closest known one', () => {
    expect(() => new WorkingMemory({ maxMesages: 5 } as never)).toThrow(ConfigError);
    expect(() => new WorkingMemory({ maxMesages: 5 } as never)).toThrow(/maxMesages is not a known key[\s\S]*did you mean "maxMessages"/);
  });
});

describe('long-term search options are checked at the entry', () => {
  async function memory() {
    const longTerm = longTermWith();
    await longTerm.storeMany(['order one shipped', 'order two delayed', 'order three lost'].map((content) => fact('u', content)));
    return longTerm;
  }

  it('refuses a k that is not a whole number 0 or more, and keeps k: 0 finding nothing', async () => {
    const longTerm = await memory();
    await expect(longTerm.search('order', { userId: 'u', k: 0.5 })).rejects.toThrow(InputError);
    await expect(longTerm.search('order', { userId: 'u', k: 0.5 })).rejects.toThrow(/k = 0\.5 must be a whole number/);
    await expect(longTerm.search('order', { userId: 'u', k: Number.NaN })).rejects.toThrow(/k = NaN/);
    await expect(longTerm.search('order', { userId: 'u', k: -1 })).rejects.toThrow(/k = -1/);
    expect(await longTerm.search('order', { userId: 'u', k: 0 })).toEqual([]);
    expect(await longTerm.search('order', { userId: 'u', k: 2 })).toHaveLength(2);
  });

  it('refuses an unknown type, a bad time range, importance or now', async () => {
    const longTerm = await memory();
    await expect(longTerm.search('order', { userId: 'u', types: ['episodik' as 'episodic'] })).rejects.toThrow(/types\.0 = "episodik"[\s\S]*episodic/);
    await expect(longTerm.search('order', { userId: 'u', timeRange: { from: 'last week' } })).rejects.toThrow(/timeRange\.from/);
    await expect(longTerm.search('order', { userId: 'u', timeRange: { to: '5' } })).rejects.toThrow(/timeRange\.to/);
    await expect(longTerm.search('order', { userId: 'u', minImportance: 2 })).rejects.toThrow(/minImportance = 2/);
    await expect(longTerm.search('order', { userId: 'u', minImportance: Number.NaN })).rejects.toThrow(/minImportance = NaN/);
    await expect(longTerm.search('order', { userId: 'u', now: new Date('nope') })).rejects.toThrow(/now/);
    await expect(longTerm.search('order', { userId: '' })).rejects.toThrow(/userId/);
    expect(await longTerm.search('order', { userId: 'u', timeRange: { from: '2023-01-01', to: new Date('2030-01-01') }, types: ['semantic'], minImportance: 0.1 })).toHaveLength(3);
  });

  it('refuses an unknown fusion method and weights that are not finite, negative or all 0', () => {
    expect(() => longTermWith({ fusion: { method: 'bogus' } })).toThrow(ConfigError);
    expect(() => longTermWith({ fusion: { method: 'bogus' } })).toThrow(/fusion\.method = "bogus"/);
    expect(() => longTermWith({ fusion: { method: 'convex', weights: [Number.NaN, 1] } })).toThrow(/fusion\.weights\.0 = NaN/);
    expect(() => longTermWith({ fusion: { weights: [-1, 1] } })).toThrow(/fusion\.weights\.0 = -1/);
    expect(() => longTermWith({ fusion: { weights: [0, 0] } })).toThrow(/not all be 0/);
    expect(() => longTermWith({ fusion: { method: 'rrf', k: 0 } })).toThrow(/fusion\.k = 0/);
    expect(() => longTermWith({ fusion: { method: 'rrf', k: 30, weights: [1, 2] } })).not.toThrow();
  });
});

describe('unknown option keys are refused with the closest known one', () => {
  it('short-term, long-term, store() and the pipeline', async () => {
    expect(() => new ShortTermMemory({ ttlDay: 3 } as never)).toThrow(/ttlDay is not a known key[\s\S]*did you mean "ttlDays"/);
    expect(() => longTermWith({ dedupThreshhold: 0.5 })).toThrow(ConfigError);
    expect(() => longTermWith({ dedupThreshhold: 0.5 })).toThrow(/dedupThreshhold is not a known key[\s\S]*did you mean "dedupThreshold"/);
    expect(() => longTermWith({ fusion: { metod: 'rrf' } })).toThrow(/fusion\.metod[\s\S]*did you mean "method"/);
    const longTerm = longTermWith();
    await expect(longTerm.store(fact('u', 'likes tea', { importnace: 0.9 }))).rejects.toThrow(InputError);
    await expect(longTerm.store(fact('u', 'likes tea', { importnace: 0.9 }))).rejects.toThrow(/importnace is not a known key[\s\S]*did you mean "importance"/);
    expect(await longTerm.count()).toBe(0);
    await expect(longTerm.search('tea', { userId: 'u', kk: 3 } as never)).rejects.toThrow(/kk is not a known key/);
    expect(() => new MemoryRetrievalPipeline({ longTerm, counter, candidatess: 5 } as never)).toThrow(/candidatess is not a known key[\s\S]*did you mean "candidates"/);
  });
});

describe('smaller checks', () => {
  it('short-term: refuses a NaN or fractional k and bounds ttlDays', () => {
    const memory = new ShortTermMemory({ now: () => NOW });
    memory.endSession({ userId: 'u', sessionId: 's', summary: 'Router call.', facts: [] });
    expect(() => memory.recent('u', { k: Number.NaN })).toThrow(InputError);
    expect(() => memory.recent('u', { k: Number.NaN })).toThrow(/k = NaN/);
    expect(() => memory.recent('u', { k: 1.5 })).toThrow(/k = 1\.5/);
    expect(memory.recent('u', { k: 0 })).toEqual([]);
    expect(memory.recent('u', { k: 1 })).toHaveLength(1);
    expect(() => new ShortTermMemory({ ttlDays: 1e12 })).toThrow(ConfigError);
    expect(() => new ShortTermMemory({ ttlDays: 1e12 })).toThrow(/ttlDays = 1000000000000 must be at most/);
  });

  it('long-term store: requires an ISO 8601 createdAt and a non-blank userId', async () => {
    const longTerm = longTermWith();
    await expect(longTerm.store(fact('u', 'x', { createdAt: '5' }))).rejects.toThrow(/createdAt = "5" must be an ISO 8601/);
    await expect(longTerm.store(fact('u', 'x', { createdAt: 'May 1' }))).rejects.toThrow(/createdAt/);
    await expect(longTerm.store(fact('   ', 'x'))).rejects.toThrow(/userId = "   " must not be empty or blank/);
    expect((await longTerm.store(fact('u', 'day only', { createdAt: '2024-05-01' }))).memory.createdAt).toBe('2024-05-01T00:00:00.000Z');
    expect((await longTerm.store(fact('u', 'with zone', { createdAt: '2024-05-01T09:30:00+02:00' }))).memory.createdAt).toBe('2024-05-01T07:30:00.000Z');
    expect(await longTerm.count()).toBe(2);
  });

  it('long-term store: copies nested metadata', async () => {
    const longTerm = longTermWith();
    const metadata = { tags: ['a'], source: { channel: 'chat' } };
    const { memory } = await longTerm.store(fact('u', 'likes tea', { metadata }));
    metadata.tags.push('b');
    metadata.source.channel = 'email';
    expect((await longTerm.get(memory.id))!.metadata).toEqual({ tags: ['a'], source: { channel: 'chat' } });
    await expect(longTerm.store(fact('u', 'x', { metadata: { fn: () => 1 } }))).rejects.toThrow(/metadata.fn must be JSON data/);
  });
});
