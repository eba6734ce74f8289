import type { PGlite } from '@electric-sql/pglite';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../core/errors.js';
import { EmbedderMismatchError, HashingEmbedder, identityOf } from '../../../core/memory/embedding.js';
import { LongTermMemory, type MemoryInput } from '../../../core/memory/long-term.js';
import type { MemoryStore } from '../../../core/memory/memory-store.js';
import { MEMORY_TABLE, migrate, MIGRATIONS, schemaVersions } from '../../../core/memory/postgres-schema.js';
import { connectPostgresMemoryStore, memoryStoreFor, PostgresMemoryStore } from '../../../core/memory/postgres-store.js';
import { seededRandom } from '../../support/vectors.js';
import { pgliteEmptiedEachTest, servedPglite } from '../../support/postgres.js';

const embedder = new HashingEmbedder({ dimension: 256 });
const identity = identityOf(embedder);

const database = pgliteEmptiedEachTest();
let db: PGlite;
beforeEach(() => {
  db = database();
});

describe('schema and migrations', () => {
  it('creates the schema on first use and records every migration once', async () => {
    const store = new PostgresMemoryStore(db, { embedder: identity });
    expect(await store.count()).toBe(0);
    await PostgresMemoryStore.open(db, { embedder: identity });
    expect(await schemaVersions(db)).toEqual(MIGRATIONS.map((migration) => migration.version));
    expect(await migrate(db, identity)).toEqual([]);
  });

  it('brings a database at an older version up to date, applying only the missing steps', async () => {
    expect(await migrate(db, identity, MIGRATIONS.slice(0, 1))).toEqual([1]);
    const indexes = async () => (await db.query<{ indexname: string }>('SELECT indexname FROM pg_indexes WHERE tablename = $1', [MEMORY_TABLE])).rows.map((row) => row.indexname);
    expect(await indexes()).not.toContain(`${MEMORY_TABLE}_embedding`);
    expect(await migrate(db, identity)).toEqual([2, 3]);
    expect(await indexes()).toEqual(expect.arrayContaining([`${MEMORY_TABLE}_embedding`, `${MEMORY_TABLE}_user`, `${MEMORY_TABLE}_lexemes`, `${MEMORY_TABLE}_content_md5`, `${MEMORY_TABLE}_thread_md5`]));
    expect(await indexes()).not.toContain(`${MEMORY_TABLE}_content`);
  });

  it('indexes the embeddings with HNSW for cosine distance', async () => {
    await migrate(db, identity);
    const { rows } = await db.query<{ indexdef: string }>('SELECT indexdef FROM pg_indexes WHERE indexname = $1', [`${MEMORY_TABLE}_embedding`]);
    expect(rows[0]!.indexdef).toMatch(/USING hnsw \(embedding vector_cosine_ops\)/);
  });

  it('refuses a table that holds another embedder\'s vectors, at the store and at LongTermMemory', async () => {
    await migrate(db, identity);
    await expect(PostgresMemoryStore.open(db, { embedder: { embedderId: 'other', dimension: 256 } })).rejects.toThrow(EmbedderMismatchError);
    const store = new PostgresMemoryStore(db, { embedder: identity });
    expect(() => new LongTermMemory({ embedder: new HashingEmbedder({ dimension: 128 }), store })).toThrow(EmbedderMismatchError);
  });

  it('tries the migrations again on the next call after one failed', async () => {
    const store = new PostgresMemoryStore(db, { embedder: { embedderId: 'other', dimension: 256 } });
    await migrate(db, identity);
    await expect(store.count()).rejects.toThrow(EmbedderMismatchError);
    await db.exec(`UPDATE ctxbench_memory_settings SET embedder_id = 'other'`);
    expect(await store.count()).toBe(0);
  });
});

describe('options', () => {
  it('rejects an HNSW search breadth outside 1..1000 and vectors pgvector cannot index', async () => {
    expect(() => new PostgresMemoryStore(db, { embedder: identity, efSearch: 0 })).toThrow(ConfigError);
    await expect(migrate(db, { embedderId: 'huge', dimension: 4096 })).rejects.toThrow(ConfigError);
  });

  it('chooses PostgreSQL only when the configuration names it', async () => {
    expect(memoryStoreFor(undefined, identity)).toBeUndefined();
    expect(memoryStoreFor({ store: 'in-process' }, identity)).toBeUndefined();
    const store = memoryStoreFor({ store: 'postgres', url: 'postgres://127.0.0.1:1/none' }, identity);
    expect(store).toBeInstanceOf(PostgresMemoryStore);
    await store!.close();
  });

  it('has nothing to save or open from a directory: every write is committed', () => {
    const memory = new LongTermMemory({ embedder, store: new PostgresMemoryStore(db, { embedder: identity }) });
    expect(() => memory.save('/tmp/never')).toThrow(ConfigError);
    expect(() => LongTermMemory.open('/tmp/never', { embedder, store: new PostgresMemoryStore(db, { embedder: identity }) })).toThrow(ConfigError);
  });

  it('reports a database it cannot reach as the pg error, without writing', async () => {
    const store = connectPostgresMemoryStore('postgres://postgres@127.0.0.1:1/postgres', { embedder: identity });
    await expect(store.count()).rejects.toThrow();
    await store.close();
  });
});

describe('the pg pool', () => {
  it('rolls back a failed transaction and keeps serving on its connections', async () => {
    const served = await servedPglite();
    try {
      await migrate(served.db, identity);
      const wrong = connectPostgresMemoryStore(served.url, { embedder: { embedderId: 'other', dimension: 256 }, maxConnections: 1 });
      await expect(wrong.count()).rejects.toThrow(EmbedderMismatchError);
      expect(served.db.isInTransaction()).toBe(false);
      await wrong.close();
      const store = connectPostgresMemoryStore(served.url, { embedder: identity, maxConnections: 1 });
      const memory = new LongTermMemory({ embedder, store });
      await memory.store({ userId: 'u1', content: 'User likes tea.', type: 'semantic' });
      expect(await memory.count('u1')).toBe(1);
      await store.close();
    } finally {
      await served.stop();
    }
  });
});

describe('bulk writes', () => {
  const NOW = new Date('2024-02-01T00:00:00.000Z');
  const topics = ['order', 'refund', 'router', 'email', 'Lisbon', 'premium', 'card', 'invoice', 'delivery', 'password'];
  /** 1,200 facts over 3 users from 240 texts, so duplicates and near-duplicates fall in different rounds of 500. */
  const facts: MemoryInput[] = Array.from({ length: 1200 }, (_, i) => {
    const n = (i * 7919) % 240;
    return { userId: `u${n % 3}`, content: `Customer ${topics[n % 10]} ${topics[Math.floor(n / 10) % 10]} note ${n % 24}`, type: 'episodic', importance: (i % 5) / 5, metadata: { i } };
  });

  it('ends a batch spanning several rounds in the same memories as one store() per fact', async () => {
    const store = await PostgresMemoryStore.open(db, { embedder: identity });
    const replay = async (bulk: boolean) => {
      await db.exec(`TRUNCATE ${MEMORY_TABLE} RESTART IDENTITY`);
      const memory = new LongTermMemory({ embedder, now: () => NOW, store });
      const results = bulk ? await memory.storeMany(facts) : [];
      if (!bulk) for (const each of facts) results.push(await memory.store(each));
      return { results, memories: await Promise.all((await memory.users()).map((userId) => memory.list(userId))) };
    };
    const bulk = await replay(true);
    expect(bulk.results.filter((result) => result.action === 'updated').length).toBeGreaterThan(500);
    expect(bulk).toEqual(await replay(false));
  });

  const poisoned = async (store: MemoryStore, exec: (sql: string) => Promise<unknown>) => {
    const memory = new LongTermMemory({ embedder, now: () => NOW, store });
    const { memory: kept } = await memory.store({ userId: 'u1', content: 'User likes tea.', type: 'semantic', metadata: { note: 'first' } });
    // The database refuses an update marked "poison": the merge into the kept memory, the batch's last write, fails after 600 inserts.
    await exec(`CREATE FUNCTION ctxbench_test_poison() RETURNS trigger AS $$ BEGIN IF NEW.metadata->>'note' = 'poison' THEN RAISE EXCEPTION 'poisoned'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
      CREATE TRIGGER ctxbench_test_poison BEFORE UPDATE ON ${MEMORY_TABLE} FOR EACH ROW EXECUTE FUNCTION ctxbench_test_poison();`);
    const distinct = Array.from({ length: 600 }, (_, i): MemoryInput => ({ userId: `v${i % 7}`, content: `Fact number ${i} about ${topics[i % 10]}`, type: 'semantic' }));
    await expect(memory.storeMany([...distinct, { userId: 'u1', content: 'User likes tea.', type: 'semantic', metadata: { note: 'poison' } }])).rejects.toThrow(/poisoned/);
    expect(await memory.count()).toBe(1);
    expect(await memory.get(kept.id)).toEqual(kept);
  };

  it('writes a batch in one transaction: a batch that fails leaves nothing of it (PGlite)', async () => {
    await poisoned(await PostgresMemoryStore.open(db, { embedder: identity }), (sql) => db.exec(sql));
  });

  it('writes a batch in one transaction: a batch that fails leaves nothing of it (pg pool)', async () => {
    const served = await servedPglite();
    const store = connectPostgresMemoryStore(served.url, { embedder: identity, maxConnections: 2 });
    try {
      await poisoned(store, (sql) => served.db.exec(sql));
    } finally {
      await store.close();
      await served.stop();
    }
  });
});

describe('vector search with a per-user filter', () => {
  it('returns k rows of a user whose vectors lie far from everyone else\'s, through the HNSW index (iterative scans)', async () => {
    const store = await PostgresMemoryStore.open(db, { embedder: identity, efSearch: 10 });
    const random = seededRandom(7);
    const around = (sign: number) => Float32Array.from({ length: 256 }, (_, i) => sign * (i % 2 === 0 ? 1 : 0.5) + 0.2 * (random() - 0.5));
    const entries = (userId: string, sign: number, n: number) => Array.from({ length: n }, (_, i) => ({ draft: { userId, content: `${userId} fact number ${i}`, type: 'semantic' as const, importance: 0.5, metadata: {} }, vector: around(sign) }));
    await store.add([...entries('crowd', 1, 150), ...entries('rare', -1, 4)], { dedupThreshold: 1.01, now: '2024-01-01T00:00:00.000Z' });
    // Only the HNSW index can serve the search: no B-tree on the user, no sequential scan.
    await db.exec(`DROP INDEX ${MEMORY_TABLE}_user, ${MEMORY_TABLE}_content_md5, ${MEMORY_TABLE}_thread_md5; SET enable_seqscan = off;`);
    try {
      const plan = await db.transaction(async (tx) => {
        await tx.query("SET LOCAL hnsw.iterative_scan = 'strict_order'");
        return (await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN SELECT id FROM ${MEMORY_TABLE} WHERE user_id = 'rare' ORDER BY embedding <=> $1::vector LIMIT 4`, [`[${Array.from(around(1)).join(',')}]`])).rows;
      });
      expect(plan.map((row) => row['QUERY PLAN']).join('\n')).toContain(`${MEMORY_TABLE}_embedding`);
      const hits = await store.searchByVector('rare', around(1), 4, {});
      expect(hits.map((hit) => hit.memory.userId)).toEqual(['rare', 'rare', 'rare', 'rare']);
    } finally {
      await db.exec('RESET enable_seqscan');
    }
  });
});
