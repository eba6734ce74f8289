// What an audit of the PostgreSQL store reproduced (2026-11-30), each checked on both stores:
// the same input must give the same outcome in process and in PostgreSQL, or a clear InputError
// in both before anything is written.
import type { PGlite } from '@electric-sql/pglite';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, InputError } from '../../../core/errors.js';
import { HashingEmbedder, identityOf } from '../../../core/memory/embedding.js';
import { LongTermMemory, type MemoryInput } from '../../../core/memory/long-term.js';
import { InProcessMemoryStore } from '../../../core/memory/in-process-store.js';
import { connectPostgresMemoryStore, PostgresMemoryStore } from '../../../core/memory/postgres-store.js';
import { pgliteEmptiedEachTest } from '../../support/postgres.js';
import { seededRandom } from '../../support/vectors.js';

const embedder = new HashingEmbedder({ dimension: 256 });
const now = () => new Date('2024-06-01T00:00:00Z');
const fact = (userId: string, content: string, extra: Partial<MemoryInput> = {}): MemoryInput => ({ userId, content, type: 'semantic', ...extra });

const database = pgliteEmptiedEachTest();
let db: PGlite;
beforeEach(() => {
  db = database();
});

/** A fresh store of each kind, by name. */
const memoryStores = async () =>
  [
    ['in-process', new InProcessMemoryStore({ embedder: identityOf(embedder) })],
    ['postgres', await PostgresMemoryStore.open(db, { embedder: identityOf(embedder) })],
  ] as const;
/** Long-term memory over a fresh store of each kind, by name. */
const stores = async () => (await memoryStores()).map(([name, store]) => [name, new LongTermMemory({ embedder, now, store })] as const);

describe('per-user isolation holds in PostgreSQL too', () => {
  it('refuses a user id holding half of a character: two such ids would be one user once encoded', async () => {
    for (const [, longTerm] of await stores()) {
      await expect(longTerm.store(fact('cust-\uD83D', 'my card PIN is 4321'))).rejects.toThrow(InputError);
      await expect(longTerm.search('PIN', { userId: 'cust-\uDE00' })).rejects.toThrow(/half of a character/);
      await expect(longTerm.list('cust-\uDE00')).rejects.toThrow(/half of a character/);
      await expect(longTerm.count('cust-\uDE00')).rejects.toThrow(/half of a character/);
      await expect(longTerm.forgetUser('cust-\uDE00')).rejects.toThrow(/half of a character/);
      // A whole emoji is a character like any other.
      await longTerm.store(fact('cust-🙂', 'my card PIN is 4321'));
      expect(await longTerm.count('cust-🙂')).toBe(1);
    }
  });

  it('refuses a user id that is not a string rather than reading 42 as "42"', async () => {
    for (const [, longTerm] of await stores()) {
      await longTerm.store(fact('42', 'likes tea'));
      await expect(longTerm.list(42 as unknown as string)).rejects.toThrow(/userId = 42 must be a user id/);
      await expect(longTerm.forgetUser(['42'] as unknown as string)).rejects.toThrow(InputError);
      expect(await longTerm.count('42')).toBe(1);
    }
  });
});

describe('valid input is stored alike, bad input refused alike before any write', () => {
  it('stores a memory of ~19,000 characters and a ~3,200-character thread, and merges the same long text again', async () => {
    // Random words: text PostgreSQL cannot compress below a B-tree entry's ~2,700 bytes.
    const random = seededRandom(11);
    const word = () => Array.from({ length: 3 + Math.floor(random() * 6) }, () => String.fromCharCode(97 + Math.floor(random() * 26))).join('');
    const prose = Array.from({ length: 3_000 }, word).join(' ');
    const thread = Array.from({ length: 500 }, word).join('-');
    for (const [name, longTerm] of await stores()) {
      const first = await longTerm.store(fact('u1', prose, { metadata: { thread, position: 0 } }));
      expect(first.action, name).toBe('added');
      await longTerm.store(fact('u1', 'the next turn of the thread', { metadata: { thread, position: 1 } }));
      expect((await longTerm.store(fact('u1', `${prose.toUpperCase()}  `))).action, name).toBe('updated');
      expect(await longTerm.count('u1'), name).toBe(2);
      expect((await longTerm.neighbours(first.memory.id)).map((memory) => memory.content), name).toEqual(['the next turn of the thread']);
    }
  });

  it('stores half a character or a NUL in content and metadata as U+FFFD in both stores alike (PostgreSQL changed them, or failed)', async () => {
    for (const [name, longTerm] of await stores()) {
      const { memory } = await longTerm.store(fact('u1', 'order ORD-1 arrived broken \uD83D and\u0000 torn', { metadata: { note: 'a\uD800', ['key\u0000']: 'x' } }));
      const stored = (await longTerm.get(memory.id))!;
      expect(stored.content, name).toBe('order ORD-1 arrived broken \uFFFD and\uFFFD torn');
      expect(stored.metadata, name).toEqual({ note: 'a\uFFFD', 'key\uFFFD': 'x' });
    }
  });

  it('refuses metadata a store cannot keep alike (NaN, a Set, a cycle), naming the memory, and writes none of the batch; a Date is its ISO string, undefined is left out, -0 is 0', async () => {
    for (const [name, longTerm] of await stores()) {
      const good = Array.from({ length: 5 }, (_, i) => fact('u1', `fact ${i}`));
      await expect(longTerm.storeMany([...good, fact('u1', 'ok', { metadata: { score: Number.NaN } })])).rejects.toThrow(/memory 5 of 6: .*metadata.score must be a finite number/);
      expect(await longTerm.count(), name).toBe(0);
      await expect(longTerm.store(fact('u1', 'a', { metadata: { tags: new Set(['x']) } }))).rejects.toThrow(/metadata.tags must be JSON data .*Set/);
      const circular: Record<string, unknown> = { a: 1 };
      circular.self = circular;
      await expect(longTerm.store(fact('u1', 'a', { metadata: { circular } }))).rejects.toThrow(/metadata.circular.self refers back/);
      const shared = { x: 1 };
      const when = new Date('2024-05-01T09:30:00Z');
      const { memory } = await longTerm.store(fact('u1', 'b', { metadata: { position: -0, when, source: undefined, nested: { list: [1, 'two', null, true] }, twice: [shared, shared] } }));
      const stored = (await longTerm.get(memory.id))!.metadata;
      expect(Object.is(stored.position, 0), name).toBe(true);
      expect(stored, name).toEqual({ position: 0, when: '2024-05-01T09:30:00.000Z', nested: { list: [1, 'two', null, true] }, twice: [{ x: 1 }, { x: 1 }] });
      await expect(longTerm.update(memory.id, { userId: 'u2' } as never)).rejects.toThrow(/userId cannot change/);
    }
  });

  it('refuses a date PostgreSQL cannot store (year 0) in both stores', async () => {
    for (const [, longTerm] of await stores()) {
      await expect(longTerm.store(fact('u1', 'a', { createdAt: '0000-06-01' }))).rejects.toThrow(/createdAt .*years 1 to 9999/);
      await expect(longTerm.search('a', { userId: 'u1', timeRange: { from: '0000-01-01' } })).rejects.toThrow(/timeRange.from/);
    }
  });

  it('finds no memory for an id past the bigint range, as the in-process store does', async () => {
    for (const [name, longTerm] of await stores()) {
      expect(await longTerm.get('m9999999999999999999'), name).toBeUndefined();
      expect(await longTerm.delete('m9999999999999999999'), name).toBe(false);
    }
  });
});

describe('the same operations end in the same memories in both stores', () => {
  it('merges a repeated text into the oldest memory holding it, after an update gave a second memory that text and after one of them went', async () => {
    for (const [name, store] of await memoryStores()) {
      // Vector dedup off: only the normalized text decides.
      const exact = new LongTermMemory({ embedder, now, dedupThreshold: 1.01, store });
      const a = (await exact.store(fact('u1', 'prefers email contact'))).memory;
      const b = (await exact.store(fact('u1', 'lives in Berlin'))).memory;
      await exact.update(b.id, { content: 'prefers email contact' });
      expect((await exact.store(fact('u1', 'Prefers email contact'))).memory.id, name).toBe(a.id);
      await exact.delete(a.id);
      expect((await exact.store(fact('u1', 'prefers EMAIL contact'))).memory.id, name).toBe(b.id);
      expect(await exact.count('u1'), name).toBe(1);
    }
  });

  it('merges a text whose vector equals a stored one at dedupThreshold 1 in both stores', async () => {
    for (const [name, store] of await memoryStores()) {
      const longTerm = new LongTermMemory({ embedder, now, dedupThreshold: 1, store });
      await longTerm.store(fact('u1', 'Refund approved!'));
      expect((await longTerm.store(fact('u1', 'refund approved'))).action, name).toBe('updated');
    }
  });
});

describe('two servers on one store', () => {
  /** The embedder of `embedder`'s identity whose embed() waits until released. */
  const gated = () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = { id: embedder.id, dimension: embedder.dimension, embed: async (texts: readonly string[]) => (await gate, embedder.embed(texts)) };
    return { slow, release };
  };

  it("keeps another server's change made while an update was embedding its new content", async () => {
    for (const [name, store] of await memoryStores()) {
      const serverA = new LongTermMemory({ embedder, now, store });
      const { slow, release } = gated();
      const serverB = new LongTermMemory({ embedder: slow, now, store });
      const { memory } = await serverA.store(fact('u1', 'prefers email contact', { importance: 0.3 }));
      const pending = serverB.update(memory.id, { content: 'prefers email contact, never calls' });
      await new Promise((resolve) => setTimeout(resolve, 20));
      await serverA.update(memory.id, { importance: 0.95, metadata: { vip: true } });
      release();
      const after = await pending;
      expect(after.content, name).toBe('prefers email contact, never calls');
      expect(after.importance, name).toBe(0.95);
      expect(after.metadata, name).toEqual({ vip: true });
    }
  });
});

describe('a database in a state the store did not leave it in is refused with a ConfigError', () => {
  it('refuses a memories table no migration created, a schema newer than the code, and a missing settings row', async () => {
    const identity = identityOf(embedder);
    await db.exec(`CREATE EXTENSION IF NOT EXISTS vector; CREATE TABLE ctxbench_memories (id bigserial PRIMARY KEY, user_id text, content text)`);
    await expect(PostgresMemoryStore.open(db, { embedder: identity })).rejects.toThrow(/a table ctxbench_memories that no ctxbench migration created/);
    await db.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
    await PostgresMemoryStore.open(db, { embedder: identity });
    await db.exec(`INSERT INTO ctxbench_memory_migrations (version, description) VALUES (99, 'from the future')`);
    await expect(PostgresMemoryStore.open(db, { embedder: identity })).rejects.toThrow(/schema is at version 99, newer than this ctxbench knows/);
    await db.exec('DELETE FROM ctxbench_memory_migrations WHERE version = 99; DELETE FROM ctxbench_memory_settings');
    await expect(PostgresMemoryStore.open(db, { embedder: { embedderId: 'openai:other-model', dimension: 256 } })).rejects.toThrow(ConfigError);
  });
});

it('refuses a maxConnections under 1 instead of waiting forever for a connection', () => {
  expect(() => connectPostgresMemoryStore('postgres://127.0.0.1:1/none', { embedder: identityOf(embedder), maxConnections: -1 })).toThrow(ConfigError);
  expect(() => connectPostgresMemoryStore('postgres://127.0.0.1:1/none', { embedder: identityOf(embedder), maxConnections: 1.5 })).toThrow(/maxConnections = 1.5/);
});
