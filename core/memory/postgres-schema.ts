import type { Pool } from 'pg';
import { ConfigError } from '../errors.js';
import { assertSameEmbedder, type EmbedderIdentity } from './embedding.js';

/** What the PostgreSQL store sends queries through: a `pg` pool (via {@link poolDatabase}), or a PGlite instance as it is. */
export interface SqlQueryable {
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

/** A database with transactions: `work` runs on one connection between BEGIN and COMMIT (ROLLBACK when it throws). */
export interface SqlDatabase extends SqlQueryable {
  transaction<T>(work: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A `pg` pool as a {@link SqlDatabase}: each transaction holds one pooled connection. */
export function poolDatabase(pool: Pool): SqlDatabase {
  return {
    query: async <R>(text: string, params?: unknown[]) => ({ rows: (await pool.query(text, params)).rows as R[] }),
    transaction: async (work) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work({ query: async <R>(text: string, params?: unknown[]) => ({ rows: (await client.query(text, params)).rows as R[] }) });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/** The table of memories and the schema bookkeeping tables. */
export const MEMORY_TABLE = 'ctxbench_memories';
const MIGRATIONS_TABLE = 'ctxbench_memory_migrations';
const SETTINGS_TABLE = 'ctxbench_memory_settings';

/** The HNSW index on the embeddings (cosine). A large initial load is faster without it: drop it, load, and create it again with {@link CREATE_VECTOR_INDEX} (pgvector's advice). */
export const VECTOR_INDEX = `${MEMORY_TABLE}_embedding`;
export const CREATE_VECTOR_INDEX = `CREATE INDEX ${VECTOR_INDEX} ON ${MEMORY_TABLE} USING hnsw (embedding vector_cosine_ops)`;

/** First key of every advisory lock the store takes, so its locks never collide with an application's own. */
export const LOCK_NAMESPACE = 0x63747862; // "ctxb"

/** One step of the schema; `sql` gets the embedder's identity, since a vector column has a fixed dimension. */
export interface Migration {
  version: number;
  description: string;
  sql: (embedder: EmbedderIdentity) => string[];
}

/** The schema, in order. Never edit a released step: add one. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'memories with full-text lexemes; B-tree on the user; the embedder the vectors belong to',
    sql: ({ embedderId, dimension }) => [
      'CREATE EXTENSION IF NOT EXISTS vector',
      `CREATE TABLE ${SETTINGS_TABLE} (singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton), embedder_id text NOT NULL, dimension integer NOT NULL)`,
      `INSERT INTO ${SETTINGS_TABLE} (embedder_id, dimension) VALUES (${quote(embedderId)}, ${dimension})`,
      `CREATE TABLE ${MEMORY_TABLE} (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id text NOT NULL,
        type text NOT NULL CHECK (type IN ('episodic', 'semantic', 'procedural')),
        content text NOT NULL,
        content_key text NOT NULL,
        embedding vector(${dimension}) NOT NULL,
        importance double precision NOT NULL CHECK (importance >= 0 AND importance <= 1),
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        metadata jsonb NOT NULL DEFAULT '{}',
        lexemes tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED
      )`,
      `CREATE INDEX ${MEMORY_TABLE}_user ON ${MEMORY_TABLE} (user_id, created_at)`,
      `CREATE INDEX ${MEMORY_TABLE}_content ON ${MEMORY_TABLE} (user_id, content_key)`,
      `CREATE INDEX ${MEMORY_TABLE}_thread ON ${MEMORY_TABLE} (user_id, (metadata->>'thread'))`,
      `CREATE INDEX ${MEMORY_TABLE}_lexemes ON ${MEMORY_TABLE} USING gin (lexemes)`,
    ],
  },
  {
    version: 2,
    description: 'HNSW index on the embeddings (cosine), searched with iterative scans',
    sql: () => [CREATE_VECTOR_INDEX],
  },
  {
    // A B-tree entry holds at most ~2,700 bytes: indexed whole, a memory of ~8,000 characters of
    // prose (or a long thread name) could not be stored at all. Queries match the hash, then the text.
    version: 3,
    description: 'B-tree indexes on MD5 hashes of the normalized content and of the thread, so long texts can be stored',
    sql: () => [
      `DROP INDEX IF EXISTS ${MEMORY_TABLE}_content`,
      `CREATE INDEX ${MEMORY_TABLE}_content_md5 ON ${MEMORY_TABLE} (user_id, md5(content_key))`,
      `DROP INDEX IF EXISTS ${MEMORY_TABLE}_thread`,
      `CREATE INDEX ${MEMORY_TABLE}_thread_md5 ON ${MEMORY_TABLE} (user_id, md5(metadata->>'thread'))`,
    ],
  },
];

/**
 * Brings the schema up to the newest migration, once: every step not yet recorded runs in one
 * transaction under an advisory lock, so processes opening the store at once apply each step once.
 * Then checks that the stored vectors are the given embedder's.
 * @returns the versions applied now (none when the schema was current)
 */
export async function migrate(database: SqlDatabase, embedder: EmbedderIdentity, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  if (!Number.isInteger(embedder.dimension) || embedder.dimension < 1 || embedder.dimension > 2000) {
    throw new ConfigError(`the PostgreSQL memory store cannot index ${embedder.dimension}-d vectors`, 'use an embedder of 1 to 2,000 dimensions (the HNSW limit of pgvector)');
  }
  return database.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1, 0)', [LOCK_NAMESPACE]);
    await tx.query(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await tx.query<{ version: number }>(`SELECT version FROM ${MIGRATIONS_TABLE}`)).rows.map((row) => Number(row.version)));
    const known = Math.max(...migrations.map((migration) => migration.version));
    const newer = [...done].filter((version) => version > known);
    if (newer.length > 0) {
      throw new ConfigError(
        `the PostgreSQL memory store's schema is at version ${Math.max(...newer)}, newer than this ctxbench knows (${known})`,
        'upgrade ctxbench on this server to the version that migrated the database, or use another database',
      );
    }
    if (done.size === 0) {
      const { rows } = await tx.query<{ name: string | null }>(`SELECT to_regclass($1)::text AS name`, [MEMORY_TABLE]);
      if (rows[0]?.name) {
        throw new ConfigError(
          `the database has a table ${MEMORY_TABLE} that no ctxbench migration created (no ${MIGRATIONS_TABLE} records)`,
          `rename or drop that table, or give the store another database`,
        );
      }
    }
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      for (const statement of migration.sql(embedder)) await tx.query(statement);
      await tx.query(`INSERT INTO ${MIGRATIONS_TABLE} (version, description) VALUES ($1, $2)`, [migration.version, migration.description]);
      applied.push(migration.version);
    }
    const [stored] = (await tx.query<{ embedder_id: string; dimension: number }>(`SELECT embedder_id, dimension FROM ${SETTINGS_TABLE}`)).rows;
    // Written by the first migration: without it nothing says whose vectors the table holds.
    if (!stored) throw new ConfigError(`${SETTINGS_TABLE} has no row: the embedder of the stored vectors is unknown`, `insert it again (embedder_id, dimension of the embedder that wrote ${MEMORY_TABLE}), or give the store another database`);
    assertSameEmbedder(embedder, { embedderId: stored.embedder_id, dimension: Number(stored.dimension) }, `PostgreSQL memory store (${MEMORY_TABLE})`);
    return applied;
  });
}

/** The schema versions recorded as applied, in order. */
export async function schemaVersions(database: SqlQueryable): Promise<number[]> {
  return (await database.query<{ version: number }>(`SELECT version FROM ${MIGRATIONS_TABLE} ORDER BY version`)).rows.map((row) => Number(row.version));
}

function quote(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
