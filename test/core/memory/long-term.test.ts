import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, InputError } from '../../../core/errors.js';
import { EmbedderMismatchError, HashingEmbedder } from '../../../core/memory/embedding.js';
import { fuseRankings, lexicalText, stem } from '../../../core/memory/hybrid.js';
import { LongTermMemory, type LongTermMemoryOptions, type MemoryInput } from '../../../core/memory/long-term.js';
import { MemoryScorer, recencyDecay } from '../../../core/memory/scoring.js';
import { CorruptStoreError } from '../../../core/memory/short-term.js';
import { FACT_WORDS, memoryFact } from '../../support/memory-facts.js';

// Mutating fs calls can be made to fail from the n-th call on: a crash at that point of a save
// (every later call fails too, so an error swallowed on the way does not resurrect the process).
const crash = vi.hoisted(() => ({ after: -1 }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const trap =
    <A extends unknown[], R>(fn: (...args: A) => R) =>
    (...args: A): R => {
      if (crash.after === 0) throw new Error('simulated crash');
      if (crash.after > 0) crash.after--;
      return fn(...args);
    };
  return { ...fs, writeFileSync: trap(fs.writeFileSync), renameSync: trap(fs.renameSync), mkdirSync: trap(fs.mkdirSync), rmSync: trap(fs.rmSync), fsyncSync: trap(fs.fsyncSync) };
});

const DAY = 86_400_000;
const NOW = new Date('2024-02-01T00:00:00.000Z');
const embedder = new HashingEmbedder({ dimension: 256 });
const memoryWith = (options: Partial<LongTermMemoryOptions> = {}) => new LongTermMemory({ embedder, now: () => NOW, ...options });
const fact = (userId: string, content: string, extra: Partial<MemoryInput> = {}): MemoryInput => ({ userId, content, type: 'semantic', ...extra });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ctxbench-long-term-'));
});
afterEach(() => {
  crash.after = -1;
  rmSync(dir, { recursive: true, force: true });
});

describe('store and search', () => {
  it('stores a memory with its id, user, type, importance, timestamps and metadata', async () => {
    const { memory, action } = await memoryWith().store(fact('u1', 'User prefers email contact.', { importance: 0.8, createdAt: '2024-01-15T10:00:00Z', metadata: { channel: 'chat' } }));
    expect(action).toBe('added');
    expect(memory).toEqual({
      id: expect.any(String),
      userId: 'u1',
      content: 'User prefers email contact.',
      type: 'semantic',
      importance: 0.8,
      createdAt: '2024-01-15T10:00:00.000Z',
      updatedAt: NOW.toISOString(),
      metadata: { channel: 'chat' },
    });
  });

  it('ranks the memory that matches the query first', async () => {
    const memory = memoryWith();
    await memory.storeMany([fact('u1', 'User prefers email over phone calls.'), fact('u1', 'The router was reset to fix dropped connections.'), fact('u1', 'User lives in Lisbon.')]);
    const [best] = await memory.search('router connection problems', { userId: 'u1' });
    expect(best!.memory.content).toContain('router');
    expect(best!.relevance).toBe(1);
  });

  it('filters by type, time range and importance inside the search', async () => {
    const memory = memoryWith();
    await memory.storeMany([
      { userId: 'u1', content: 'Order ORD-1 arrived late.', type: 'episodic', importance: 0.9, createdAt: '2024-01-10T00:00:00Z' },
      { userId: 'u1', content: 'Order ORD-2 arrived damaged.', type: 'episodic', importance: 0.3, createdAt: '2024-01-20T00:00:00Z' },
      { userId: 'u1', content: 'User wants order updates by SMS.', type: 'semantic', importance: 0.9, createdAt: '2024-01-20T00:00:00Z' },
    ]);
    const contents = async (options: object) => (await memory.search('order', { userId: 'u1', ...options })).map((hit) => hit.memory.content).sort();
    expect(await contents({ types: ['episodic'] })).toEqual(['Order ORD-1 arrived late.', 'Order ORD-2 arrived damaged.']);
    expect(await contents({ timeRange: { from: '2024-01-15T00:00:00Z' } })).toEqual(['Order ORD-2 arrived damaged.', 'User wants order updates by SMS.']);
    expect(await contents({ minImportance: 0.5, types: ['episodic'] })).toEqual(['Order ORD-1 arrived late.']);
    expect(await contents({ k: 1 })).toHaveLength(1);
  });

  it('rejects a blank content and an importance outside 0..1, naming the key', async () => {
    await expect(memoryWith().store(fact('u1', '   '))).rejects.toThrow(InputError);
    await expect(memoryWith().store(fact('u1', 'x', { importance: 2 }))).rejects.toThrow(/importance/);
  });

  it('rejects an invalid option with a ConfigError naming it', () => {
    expect(() => memoryWith({ hnswThreshold: 0 })).toThrow(ConfigError);
    expect(() => memoryWith({ weights: { recency: -1 } })).toThrow(/weights.recency/);
  });
});

describe('hybrid retrieval parts', () => {
  it('stems inflections to one form and drops function words', () => {
    expect(['painted', 'painting', 'paints', 'paint'].map(stem)).toEqual(['paint', 'paint', 'paint', 'paint']);
    expect(['stopped', 'called', 'stories', 'boxes', 'class'].map(stem)).toEqual(['stop', 'call', 'story', 'box', 'class']);
    expect(lexicalText('What did Caroline never paint?')).toBe('caroline never paint');
  });

  it('fuses by reciprocal rank: a hit topping both lists has relevance 1, ties keep first appearance', () => {
    const fused = fuseRankings([[{ id: 'a', score: 9 }, { id: 'b', score: 1 }], [{ id: 'a', score: 0.9 }, { id: 'c', score: 0.8 }]]);
    expect(fused.map((hit) => [hit.id, hit.relevance, hit.ranks])).toEqual([
      ['a', 1, [0, 0]],
      ['b', 61 / 62 / 2, [1, undefined]],
      ['c', 61 / 62 / 2, [undefined, 1]],
    ]);
  });

  it('fuses convexly: the weighted mean of scores divided by each list\'s best', () => {
    const fused = fuseRankings([[{ id: 'a', score: 4 }, { id: 'b', score: 3 }], [{ id: 'b', score: 0.5 }]], { method: 'convex', weights: [1, 0.5] });
    expect(fused.map((hit) => [hit.id, hit.relevance])).toEqual([
      ['b', (0.75 + 0.5) / 1.5],
      ['a', 1 / 1.5],
    ]);
  });
});

describe('per-user isolation', () => {
  const words = ['order', 'refund', 'router', 'email', 'shipping', 'delayed', 'premium', 'account', 'ZFA04Y', 'lisbon'];
  const text = fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 6 }).map((parts) => parts.join(' '));

  it('never returns a memory of another user, whatever the query (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ userId: fc.constantFrom('alice', 'bob', 'carol'), content: text }), { minLength: 1, maxLength: 25 }), text, async (inputs, query) => {
        const memory = memoryWith();
        await memory.storeMany(inputs.map((input) => fact(input.userId, input.content)));
        for (const userId of ['alice', 'bob', 'carol']) {
          const hits = await memory.search(query, { userId, k: 50 });
          expect(hits.every((hit) => hit.memory.userId === userId)).toBe(true);
          expect(hits).toHaveLength(await memory.count(userId));
        }
      }),
      { numRuns: 40 },
    );
  });

  it('forgets one user entirely and leaves the others untouched', async () => {
    const memory = memoryWith();
    await memory.storeMany([fact('alice', 'Alice likes tea.'), fact('alice', 'Alice lives in Oslo.'), fact('bob', 'Bob likes tea.')]);
    expect(await memory.forgetUser('alice')).toBe(2);
    expect(await memory.search('tea', { userId: 'alice' })).toEqual([]);
    expect((await memory.search('tea', { userId: 'bob' })).map((hit) => hit.memory.content)).toEqual(['Bob likes tea.']);
  });
});

describe('deduplication on write', () => {
  it('never keeps two memories for the same content (property)', async () => {
    const content = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== '');
    await fc.assert(
      fc.asyncProperty(fc.array(content, { minLength: 1, maxLength: 12 }), async (contents) => {
        const memory = memoryWith();
        await memory.storeMany(contents.map((c) => fact('u1', c)));
        const count = await memory.count('u1');
        const again = await memory.storeMany(contents.map((c) => fact('u1', c)));
        expect(again.every((result) => result.action === 'updated')).toBe(true);
        expect(await memory.count('u1')).toBe(count);
        expect(new Set((await memory.list('u1')).map((m) => m.content.trim().toLowerCase())).size).toBe(count);
      }),
      { numRuns: 60 },
    );
  });

  it('updates the content, importance and timestamp of a near-duplicate instead of adding it', async () => {
    const memory = memoryWith();
    const first = await memory.store(fact('u1', 'User prefers email contact for order updates.', { importance: 0.4, createdAt: '2024-01-01T00:00:00Z' }));
    const second = await memory.store(fact('u1', 'User prefers email contact for all order updates.', { importance: 0.9, createdAt: '2024-01-20T00:00:00Z' }));
    expect(second).toEqual({ action: 'updated', memory: expect.objectContaining({ id: first.memory.id, content: 'User prefers email contact for all order updates.', importance: 0.9, createdAt: '2024-01-20T00:00:00.000Z' }) });
    expect(await memory.count('u1')).toBe(1);
  });

  it('keeps near-duplicates apart above a stricter threshold, and across users always', async () => {
    const memory = memoryWith({ dedupThreshold: 1.01 });
    await memory.storeMany([fact('u1', 'User prefers email contact for order updates.'), fact('u1', 'User prefers email contact for all order updates.'), fact('u2', 'User prefers email contact for order updates.')]);
    expect([await memory.count('u1'), await memory.count('u2')]).toEqual([2, 1]);
  });
});

describe('bulk loads', () => {
  const snapshot = async (memory: LongTermMemory) => Promise.all((await memory.users()).map((userId) => memory.list(userId)));

  for (const hnswThreshold of [2000, 6]) {
    it(`ends in the same memories as one store() call per input, merges included (property, hnswThreshold ${hnswThreshold})`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(memoryFact, { minLength: 1, maxLength: 30 }), async (inputs) => {
          const bulk = memoryWith({ hnswThreshold });
          const bulkResults = await bulk.storeMany(inputs);
          const oneByOne = memoryWith({ hnswThreshold });
          const results = [];
          for (const each of inputs) results.push(await oneByOne.store(each));
          expect(bulkResults).toEqual(results);
          expect(await snapshot(bulk)).toEqual(await snapshot(oneByOne));
        }),
        { numRuns: 40 },
      );
    });
  }

  it('returns the first k of the full ranking for any k (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(memoryFact, { minLength: 1, maxLength: 25 }), fc.integer({ min: 1, max: 8 }), fc.constantFrom(...FACT_WORDS), async (inputs, k, query) => {
        const memory = memoryWith({ dedupThreshold: 1.01 });
        await memory.storeMany(inputs);
        for (const userId of await memory.users()) {
          const all = await memory.search(query, { userId, k: 50 });
          expect(await memory.search(query, { userId, k })).toEqual(all.slice(0, k));
          expect(all.map((hit) => hit.score)).toEqual([...all.map((hit) => hit.score)].sort((a, b) => b - a));
        }
      }),
      { numRuns: 40 },
    );
  });

  it('embeds each text once, also when the user moves to HNSW', async () => {
    const texts: string[] = [];
    const counting = { id: embedder.id, dimension: embedder.dimension, embed: (batch: readonly string[]) => (texts.push(...batch), embedder.embed(batch)) };
    const memory = new LongTermMemory({ embedder: counting, now: () => NOW, hnswThreshold: 5 });
    const topics = ['tea', 'coffee', 'jazz', 'hiking', 'Lisbon', 'Porto', 'chess', 'sailing'];
    await memory.storeMany(topics.slice(0, 4).map((topic) => fact('u1', `User likes ${topic} a lot, every single day.`)));
    for (const topic of topics.slice(4)) await memory.store(fact('u1', `User likes ${topic} a lot, every single day.`));
    expect(texts).toHaveLength(topics.length);
    expect((await memory.search('chess', { userId: 'u1' }))[0]!.memory.content).toContain('chess');
  });

  it('searches the same after deletes as a memory that never held the deleted ones (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(memoryFact, { minLength: 2, maxLength: 20 }), fc.array(fc.nat(), { maxLength: 6 }), fc.constantFrom(...FACT_WORDS), async (inputs, picks, query) => {
        const full = memoryWith({ dedupThreshold: 1.01 });
        const stored = await full.storeMany(inputs);
        await full.search(query, { userId: 'alice' });
        const gone = new Set(picks.map((pick) => stored[pick % stored.length]!.memory.id));
        for (const id of gone) await full.delete(id);
        const kept = memoryWith({ dedupThreshold: 1.01 });
        for (const userId of await full.users()) for (const { id: _id, updatedAt: _updatedAt, ...memory } of await full.list(userId)) await kept.store(memory);
        for (const userId of await kept.users()) {
          const relevance = async (memory: LongTermMemory) => (await memory.search(query, { userId, k: 50 })).map((hit) => [hit.memory.content, hit.relevance.toFixed(9)]).sort();
          expect(await relevance(full)).toEqual(await relevance(kept));
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe('scoring', () => {
  it('halves recency after one half-life of the injected clock', () => {
    expect(recencyDecay(30 * DAY, 30)).toBeCloseTo(0.5);
    expect(recencyDecay(-DAY, 30)).toBe(1);
    expect(recencyDecay(1000 * DAY, Infinity)).toBe(1);
  });

  it('accepts halfLifeDays Infinity, as documented, and then never decays', () => {
    const scorer = new MemoryScorer({ now: () => NOW, halfLifeDays: Infinity });
    expect(scorer.score({ createdAt: '2000-01-01T00:00:00Z', importance: 0.5 }, 0).recency).toBe(1);
  });

  it('ranks the newer of two equally relevant memories first, measured against the injected clock', async () => {
    let now = new Date('2024-03-01T00:00:00Z');
    const memory = memoryWith({ now: () => now, halfLifeDays: 10 });
    await memory.storeMany([
      fact('u1', 'Delivery to the Lisbon address failed.', { createdAt: '2024-02-20T00:00:00Z' }),
      fact('u1', 'Delivery to the Porto address failed.', { createdAt: '2024-01-01T00:00:00Z' }),
    ]);
    const hits = await memory.search('delivery address failed', { userId: 'u1' });
    expect(hits.map((hit) => hit.memory.content)).toEqual(['Delivery to the Lisbon address failed.', 'Delivery to the Porto address failed.']);
    expect(hits[0]!.recency).toBeCloseTo(0.5);
    now = new Date('2024-03-11T00:00:00Z');
    expect((await memory.search('delivery address failed', { userId: 'u1' }))[0]!.recency).toBeCloseTo(0.25);
  });

  it('weighs relevance, recency and importance by the configured weights', () => {
    const scorer = new MemoryScorer({ now: () => NOW, weights: { similarity: 1, recency: 0, importance: 1 } });
    expect(scorer.score({ createdAt: '2020-01-01T00:00:00Z', importance: 0.5 }, 1).score).toBeCloseTo(0.75);
    expect(() => new MemoryScorer({ weights: { similarity: 0, recency: 0, importance: 0 } })).toThrow(ConfigError);
  });
});

describe('update and delete', () => {
  it('re-embeds an updated content: the new words find it, the old ones no longer do', async () => {
    const memory = memoryWith();
    const { memory: stored } = await memory.store(fact('u1', 'User lives in Lisbon.'));
    await memory.store(fact('u1', 'User likes jazz.'));
    const updated = await memory.update(stored.id, { content: 'User moved to Porto.', importance: 0.9 });
    expect(updated).toMatchObject({ id: stored.id, content: 'User moved to Porto.', importance: 0.9 });
    expect((await memory.search('Porto', { userId: 'u1' }))[0]!.memory.id).toBe(stored.id);
    const lisbon = await memory.search('Lisbon', { userId: 'u1' });
    expect(lisbon.find((hit) => hit.memory.id === stored.id)!.relevance).toBe(0);
  });

});

describe('persistence', () => {
  const contentsOf = async (memory: LongTermMemory) => Promise.all((await memory.users()).map(async (userId) => [userId, await memory.list(userId)]));

  it('survives a save and reopen, searches included', async () => {
    const memory = memoryWith({ directory: dir });
    await memory.storeMany([fact('alice', 'Alice prefers email.'), fact('bob', 'Bob prefers phone calls.'), fact('alice', 'Alice lives in Oslo.')]);
    memory.save();
    const reopened = LongTermMemory.open(dir, { embedder, now: () => NOW });
    expect(await contentsOf(reopened)).toEqual(await contentsOf(memory));
    expect(await reopened.search('email', { userId: 'alice' })).toEqual(await memory.search('email', { userId: 'alice' }));
    const { memory: added } = await reopened.store(fact('bob', 'Bob owns a dog.'));
    expect(await memory.get(added.id)).toBeUndefined();
  });

  it('opens a directory never saved to as an empty memory', async () => {
    expect(await LongTermMemory.open(join(dir, 'fresh'), { embedder }).count()).toBe(0);
  });

  it('refuses to open vectors of another embedder', async () => {
    const memory = memoryWith({ directory: dir });
    await memory.store(fact('u1', 'User likes tea.'));
    memory.save();
    expect(() => LongTermMemory.open(dir, { embedder: new HashingEmbedder({ dimension: 128 }) })).toThrow(EmbedderMismatchError);
  });

  it('reports a corrupt save with the file that is wrong', async () => {
    const memory = memoryWith({ directory: dir });
    await memory.store(fact('u1', 'User likes tea.'));
    memory.save();
    const generation = readdirSync(dir).find((name) => name.startsWith('gen-'))!;
    rmSync(join(dir, generation, 'memories.json'));
    expect(() => LongTermMemory.open(dir, { embedder })).toThrow(CorruptStoreError);
  });

  it('leaves the previous or the new state loadable when a save crashes at any step', async () => {
    const memory = memoryWith({ directory: dir });
    await memory.storeMany([fact('alice', 'Alice prefers email.'), fact('bob', 'Bob prefers phone calls.')]);
    memory.save();
    const before = await contentsOf(LongTermMemory.open(dir, { embedder, now: () => NOW }));
    await memory.store(fact('alice', 'Alice moved to Oslo.'));
    await memory.delete((await memory.list('bob'))[0]!.id);
    const after = await contentsOf(memory);
    let crashes = 0;
    for (let step = 0; crashes < 200; step++) {
      crash.after = step;
      try {
        memory.save();
        break;
      } catch {
        crashes++;
      } finally {
        crash.after = -1;
      }
      expect([before, after]).toContainEqual(await contentsOf(LongTermMemory.open(dir, { embedder, now: () => NOW })));
    }
    expect(crashes).toBeGreaterThan(20);
    expect(await contentsOf(LongTermMemory.open(dir, { embedder, now: () => NOW }))).toEqual(after);
    expect(readdirSync(dir).filter((name) => name.startsWith('gen-'))).toHaveLength(1);
  });

  it('moves a user past hnswThreshold to an HNSW store, and reopens it', async () => {
    const memory = memoryWith({ directory: dir, hnswThreshold: 5 });
    await memory.storeMany(['tea', 'coffee', 'jazz', 'hiking', 'Lisbon', 'Porto', 'chess'].map((topic) => fact('u1', `User likes ${topic} a lot, every single day.`)));
    await memory.store(fact('u2', 'User likes tea.'));
    memory.save();
    const generation = readdirSync(dir).find((name) => name.startsWith('gen-'))!;
    const kind = (user: string) => JSON.parse(readFileSync(join(dir, generation, user, 'manifest.json'), 'utf8')).kind;
    expect([kind('u0'), kind('u1')]).toEqual(['hnsw', 'exact']);
    const reopened = LongTermMemory.open(dir, { embedder, now: () => NOW });
    expect((await reopened.search('chess', { userId: 'u1' }))[0]!.memory.content).toContain('chess');
  });
});
