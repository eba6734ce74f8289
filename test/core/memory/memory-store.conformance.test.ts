import type { PGlite } from '@electric-sql/pglite';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../../core/errors.js';
import { cosine, HashingEmbedder, identityOf } from '../../../core/memory/embedding.js';
import { InProcessMemoryStore } from '../../../core/memory/in-process-store.js';
import { LongTermMemory, type LongTermMemoryOptions, type MemoryInput } from '../../../core/memory/long-term.js';
import type { MemoryStore } from '../../../core/memory/memory-store.js';
import { MEMORY_TABLE } from '../../../core/memory/postgres-schema.js';
import { connectPostgresMemoryStore, PostgresMemoryStore } from '../../../core/memory/postgres-store.js';
import { memoryFact } from '../../support/memory-facts.js';
import { pglite, servedPglite, type ServedPglite } from '../../support/postgres.js';

// One suite, every store: the in-process store (LongTermMemory's default), PostgreSQL through
// PGlite in this process, and the `pg` client over the wire protocol to PGlite on a loopback socket.

const NOW = new Date('2024-02-01T00:00:00.000Z');
const embedder = new HashingEmbedder({ dimension: 256 });
const fact = (userId: string, content: string, extra: Partial<MemoryInput> = {}): MemoryInput => ({ userId, content, type: 'semantic', ...extra });

interface StoreUnderTest {
  name: string;
  /** A fresh, empty store. */
  open(): Promise<MemoryStore>;
  close(): Promise<void>;
}

let direct: PGlite | undefined;
let served: ServedPglite | undefined;
let socketStore: MemoryStore | undefined;

const truncate = (db: PGlite) => db.exec(`TRUNCATE ${MEMORY_TABLE} RESTART IDENTITY`);

const STORES: StoreUnderTest[] = [
  { name: 'in-process', open: async () => new InProcessMemoryStore({ embedder: identityOf(embedder) }), close: async () => undefined },
  {
    name: 'PGlite',
    open: async () => {
      direct ??= await pglite();
      const store = await PostgresMemoryStore.open(direct, { embedder: identityOf(embedder) });
      await truncate(direct);
      return store;
    },
    close: async () => direct?.close(),
  },
  {
    name: 'pg over a socket to PGlite',
    open: async () => {
      served ??= await servedPglite();
      socketStore ??= connectPostgresMemoryStore(served.url, { embedder: identityOf(embedder), maxConnections: 4 });
      await socketStore.count();
      await truncate(served.db);
      return socketStore;
    },
    close: async () => {
      await socketStore?.close();
      await served?.stop();
    },
  },
];

describe.each(STORES)('long-term memory on the $name store', (subject) => {
  let store: MemoryStore;
  const memoryWith = (options: Partial<LongTermMemoryOptions> = {}) => new LongTermMemory({ embedder, now: () => NOW, store, ...options });

  beforeAll(async () => {
    store = await subject.open();
  });
  beforeEach(async () => {
    store = await subject.open();
  });
  afterAll(() => subject.close());

  it('stores a memory with its id, user, type, importance, timestamps and metadata', async () => {
    const memory = memoryWith();
    const { memory: stored, action } = await memory.store(fact('u1', 'User prefers email updates.', { importance: 0.8, createdAt: '2024-01-10T09:30:00Z', metadata: { source: 'chat', tags: ['a'] } }));
    expect(action).toBe('added');
    expect(stored).toEqual({ id: expect.any(String), userId: 'u1', content: 'User prefers email updates.', type: 'semantic', importance: 0.8, createdAt: '2024-01-10T09:30:00.000Z', updatedAt: NOW.toISOString(), metadata: { source: 'chat', tags: ['a'] } });
    expect(await memory.get(stored.id)).toEqual(stored);
  });

  it('lists a user\'s memories oldest first, counts them and names the users', async () => {
    const memory = memoryWith();
    await memory.storeMany([fact('bob', 'Bob likes chess.', { createdAt: '2024-01-03T00:00:00Z' }), fact('alice', 'Alice lives in Oslo.', { createdAt: '2024-01-02T00:00:00Z' }), fact('bob', 'Bob owns a red bicycle.', { createdAt: '2024-01-01T00:00:00Z' })]);
    expect((await memory.list('bob')).map((m) => m.content)).toEqual(['Bob owns a red bicycle.', 'Bob likes chess.']);
    expect([await memory.count(), await memory.count('bob'), await memory.count('nobody')]).toEqual([3, 2, 0]);
    expect(await memory.users()).toEqual(['alice', 'bob']);
  });

  it('ranks the memory that matches the query first', async () => {
    const memory = memoryWith();
    await memory.storeMany([fact('u1', 'User lives in Lisbon, Portugal.'), fact('u1', 'User owns a golden retriever named Max.'), fact('u1', 'User prefers phone calls to email.')]);
    const hits = await memory.search('What is the name of my dog Max?', { userId: 'u1', k: 3 });
    expect(hits[0]!.memory.content).toContain('Max');
    expect(hits[0]!.relevance).toBeGreaterThan(0);
  });

  it('filters by type, time range and importance inside the search', async () => {
    const memory = memoryWith({ dedupThreshold: 1.01 });
    await memory.storeMany([
      fact('u1', 'Shipping complaint about order 1.', { type: 'episodic', importance: 0.9, createdAt: '2024-01-05T00:00:00Z' }),
      fact('u1', 'Shipping policy: refunds within 30 days.', { type: 'procedural', importance: 0.9, createdAt: '2024-01-06T00:00:00Z' }),
      fact('u1', 'Shipping complaint about order 2.', { type: 'episodic', importance: 0.2, createdAt: '2024-01-20T00:00:00Z' }),
      fact('u1', 'Shipping complaint about order 3.', { type: 'episodic', importance: 0.9, createdAt: '2024-01-25T00:00:00Z' }),
    ]);
    const hits = await memory.search('shipping complaint', { userId: 'u1', types: ['episodic'], minImportance: 0.5, timeRange: { from: '2024-01-01T00:00:00Z', to: new Date('2024-01-21T00:00:00Z') } });
    expect(hits.map((hit) => hit.memory.content)).toEqual(['Shipping complaint about order 1.']);
  });

  it('never returns a memory of another user, whatever the query (property)', async () => {
    const users = ['alice', 'bob', "o'brien; DROP TABLE memories --"];
    const text = fc.string({ minLength: 1, maxLength: 60 }).filter((s) => s.trim() !== '');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ userId: fc.constantFrom(...users), content: text }), { minLength: 1, maxLength: 12 }), text, async (inputs, query) => {
        store = await subject.open();
        const memory = memoryWith();
        await memory.storeMany(inputs.map((input) => fact(input.userId, input.content)));
        for (const userId of users) {
          const hits = await memory.search(query, { userId, k: 50 });
          expect(hits.every((hit) => hit.memory.userId === userId)).toBe(true);
          for (const hit of hits) expect((await memory.get(hit.memory.id))?.userId).toBe(userId);
        }
      }),
      { numRuns: 15 },
    );
  });

  it('finds a user\'s nearest memories by vector, nearest first, with their cosine similarity', async () => {
    const contents = ['User lives in Lisbon, Portugal.', 'User owns a golden retriever named Max.', 'User prefers phone calls to email.', 'Order 12345 arrived late.'];
    await memoryWith().storeMany([...contents.map((content) => fact('u1', content)), fact('u2', 'User owns a golden retriever named Rex.')]);
    const [query] = await embedder.embed(['my dog Max, a golden retriever']);
    const vectors = await embedder.embed(contents);
    const exact = contents.map((content, i) => ({ content, similarity: cosine(query!, vectors[i]!) })).sort((a, b) => b.similarity - a.similarity);
    const hits = await store.searchByVector('u1', query!, 3, {});
    expect(hits.map((hit) => hit.memory.content)).toEqual(exact.slice(0, 3).map((hit) => hit.content));
    hits.forEach((hit, i) => expect(hit.similarity).toBeCloseTo(exact[i]!.similarity, 5));
  });

  it('finds a user\'s memories by their words, best first, and only that user\'s', async () => {
    await memoryWith().storeMany([fact('u1', 'Refund for order 12345 approved.'), fact('u1', 'User lives in Lisbon.'), fact('u2', 'Refund for order 999 refused.')]);
    const hits = await store.searchByText('u1', 'refund', 10, {});
    expect(hits.map((hit) => hit.memory.content)).toEqual(['Refund for order 12345 approved.']);
    expect(hits[0]!.score).toBeGreaterThan(0);
    expect(await store.searchByText('u1', 'refund', 10, { types: ['episodic'] })).toEqual([]);
  });

  it('forgets one user entirely and leaves the others untouched', async () => {
    const memory = memoryWith();
    await memory.storeMany([fact('alice', 'Alice likes tea.'), fact('alice', 'Alice lives in Oslo.'), fact('bob', 'Bob likes tea.')]);
    expect(await memory.forgetUser('alice')).toBe(2);
    expect(await memory.forgetUser('alice')).toBe(0);
    expect(await memory.search('tea', { userId: 'alice' })).toEqual([]);
    expect((await memory.search('tea', { userId: 'bob' })).map((hit) => hit.memory.content)).toEqual(['Bob likes tea.']);
  });

  it('never keeps two memories for the same content, in one batch or across batches (property)', async () => {
    const content = fc.constantFrom('User likes tea.', 'user likes  TEA.', 'User lives in Oslo.', 'Order 12345 was late.', 'Refund approved for order 12345.');
    await fc.assert(
      fc.asyncProperty(fc.array(content, { minLength: 1, maxLength: 8 }), async (contents) => {
        store = await subject.open();
        const memory = memoryWith();
        await memory.storeMany(contents.map((c) => fact('u1', c)));
        const count = await memory.count('u1');
        const again = await memory.storeMany(contents.map((c) => fact('u1', c)));
        expect(again.every((result) => result.action === 'updated')).toBe(true);
        expect(await memory.count('u1')).toBe(count);
        expect(new Set((await memory.list('u1')).map((m) => m.content.replace(/\s+/g, ' ').toLowerCase())).size).toBe(count);
      }),
      { numRuns: 10 },
    );
  });

  it('ends a bulk store in the same memories as one store() per input, merges into earlier memories included (property)', async () => {
    const snapshot = async (memory: LongTermMemory) => Promise.all((await memory.users()).map((userId) => memory.list(userId)));
    const replay = async (history: readonly MemoryInput[], batch: readonly MemoryInput[], dedupThreshold: number, bulk: boolean) => {
      store = await subject.open();
      const memory = memoryWith({ dedupThreshold });
      for (const each of history) await memory.store(each);
      const results = [];
      if (bulk) results.push(...(await memory.storeMany(batch)));
      else for (const each of batch) results.push(await memory.store(each));
      return { results, memories: await snapshot(memory) };
    };
    await fc.assert(
      fc.asyncProperty(fc.array(memoryFact, { maxLength: 8 }), fc.array(memoryFact, { minLength: 1, maxLength: 20 }), fc.constantFrom(0.9, 1.01), async (history, batch, dedupThreshold) => {
        const bulk = await replay(history, batch, dedupThreshold, true);
        expect(bulk).toEqual(await replay(history, batch, dedupThreshold, false));
      }),
      { numRuns: 25 },
    );
  });

  it('checks a batch\'s later memories against the memories its earlier ones changed, as they are now', async () => {
    // In the plane of the first two axes: a at 0°, b at 45°; the first new memory (-20°) merges into a
    // and moves it there; the second (21°) was nearest to a as it was (0.934), is 0.914 from b, and
    // only 0.755 from a as it is now: it belongs to b.
    const at = (degrees: number) => Float32Array.from({ length: embedder.dimension }, (_, i) => (i === 0 ? Math.cos((degrees * Math.PI) / 180) : i === 1 ? Math.sin((degrees * Math.PI) / 180) : 0));
    const entry = (content: string, degrees: number) => ({ draft: { userId: 'u1', content, type: 'semantic' as const, importance: 0.5, metadata: {} }, vector: at(degrees) });
    const options = { dedupThreshold: 0.9, now: NOW.toISOString() };
    const [a, b] = await store.add([entry('a', 0), entry('b', 45)], options);
    const results = await store.add([entry('near a', -20), entry('between', 21)], options);
    expect(results.map((result) => [result.action, result.memory.id])).toEqual([
      ['updated', a!.memory.id],
      ['updated', b!.memory.id],
    ]);
    // The same within one batch: 21° is 0.934 from c as it was and 0.755 from c as it is, so it is new.
    const [c, moved, apart] = await store.add([entry('c', 100), entry('near c', 80), entry('beside c', 121)].map((e) => ({ ...e, draft: { ...e.draft, userId: 'u2' } })), options);
    expect([c!.action, moved!.action, moved!.memory.id, apart!.action]).toEqual(['added', 'updated', c!.memory.id, 'added']);
  });

  it('merges a near-duplicate: new content, higher importance, later date, both metadata', async () => {
    const memory = memoryWith();
    const first = await memory.store(fact('u1', 'User prefers email contact for order updates.', { importance: 0.4, createdAt: '2024-01-01T00:00:00Z', metadata: { a: 1 } }));
    const second = await memory.store(fact('u1', 'User prefers email contact for all order updates.', { importance: 0.9, createdAt: '2024-01-20T00:00:00Z', metadata: { b: 2 } }));
    expect(second).toEqual({ action: 'updated', memory: expect.objectContaining({ id: first.memory.id, content: 'User prefers email contact for all order updates.', importance: 0.9, createdAt: '2024-01-20T00:00:00.000Z', metadata: { a: 1, b: 2 } }) });
    expect(await memory.count('u1')).toBe(1);
  });

  it('keeps near-duplicates apart above a stricter threshold, and across users always', async () => {
    const memory = memoryWith({ dedupThreshold: 1.01 });
    await memory.storeMany([fact('u1', 'User prefers email contact for order updates.'), fact('u1', 'User prefers email contact for all order updates.'), fact('u2', 'User prefers email contact for order updates.')]);
    expect([await memory.count('u1'), await memory.count('u2')]).toEqual([2, 1]);
  });

  it('re-embeds an updated content: the new words find it, the old ones no longer do', async () => {
    const memory = memoryWith();
    const { memory: stored } = await memory.store(fact('u1', 'User lives in Lisbon.'));
    await memory.store(fact('u1', 'User likes jazz music.'));
    const updated = await memory.update(stored.id, { content: 'User moved to Porto.', importance: 0.7 });
    expect(updated).toEqual(expect.objectContaining({ id: stored.id, content: 'User moved to Porto.', importance: 0.7, createdAt: stored.createdAt }));
    expect((await memory.search('Porto', { userId: 'u1', k: 1 }))[0]!.memory.id).toBe(stored.id);
    expect((await memory.search('Lisbon', { userId: 'u1' })).map((hit) => hit.memory.content)).not.toContain('User lives in Lisbon.');
  });

  it('answers an update of an unknown id with an InputError', async () => {
    const memory = memoryWith();
    await expect(memory.update('m999', { importance: 1 })).rejects.toThrow(InputError);
    await expect(memory.update('not-an-id', { importance: 1 })).rejects.toThrow(InputError);
  });

  it('deletes a memory from every index', async () => {
    const memory = memoryWith();
    const { memory: stored } = await memory.store(fact('u1', 'User lives in Lisbon.'));
    await memory.store(fact('u1', 'User likes jazz.'));
    expect(await memory.delete(stored.id)).toBe(true);
    expect(await memory.delete(stored.id)).toBe(false);
    expect(await memory.get(stored.id)).toBeUndefined();
    expect((await memory.search('Lisbon', { userId: 'u1' })).map((hit) => hit.memory.content)).toEqual(['User likes jazz.']);
  });

  it('finds the neighbouring turns of a conversational memory, nearest first', async () => {
    const memory = memoryWith();
    const turns = ['Hi!', 'My order is late.', 'Sorry, let me check.', 'It ships today.'];
    const stored = await memory.storeMany(turns.map((content, position) => fact('u1', content, { type: 'episodic', metadata: { thread: 's1', position } })));
    await memory.store(fact('u1', 'Another thread entirely.', { type: 'episodic', metadata: { thread: 's2', position: 2 } }));
    expect((await memory.neighbours(stored[1]!.memory.id)).map((m) => m.content)).toEqual(['Hi!', 'Sorry, let me check.']);
    expect((await memory.neighbours(stored[1]!.memory.id, 2)).map((m) => m.content)).toEqual(['Hi!', 'Sorry, let me check.', 'It ships today.']);
    expect(await memory.neighbours('unknown')).toEqual([]);
  });
});
