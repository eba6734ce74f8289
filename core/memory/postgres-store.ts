import pg from 'pg';
import { ConfigError } from '../errors.js';
import type { EmbedderIdentity } from './embedding.js';
import type { MemoryHit, MemorySearchOptions, StoreResult } from './long-term.js';
import { contentKey, searchMemoryStore, type AddOptions, type MemoryDraft, type MemoryFilter, type MemoryPatch, type MemoryQuery, type MemoryScoring, type MemoryStore, type MemoryStoreConfig } from './memory-store.js';
import { writeBatch } from './postgres-batch.js';
import { MEMORY_COLUMNS, memoryOf, rowId, vectorSql, type MemoryRow } from './postgres-rows.js';
import { LOCK_NAMESPACE, MEMORY_TABLE, migrate, poolDatabase, type SqlDatabase, type SqlQueryable } from './postgres-schema.js';
import type { Memory } from './types.js';

/** Options of a {@link PostgresMemoryStore}. */
export interface PostgresStoreOptions {
  /** The embedder whose vectors the table holds; fixes the vector column's dimension when the schema is created. */
  embedder: EmbedderIdentity;
  /** Candidates the HNSW graph search keeps (pgvector's `hnsw.ef_search`); iterative scans go on past it until k rows pass the filters. @default 100 */
  efSearch?: number;
}

const DEFAULT_EF_SEARCH = 100;

/**
 * Long-term memory in PostgreSQL with pgvector: one row per memory, an HNSW index (cosine) searched
 * with iterative scans so that a user filter still yields k rows, a B-tree on the user, and
 * full-text lexemes (`tsvector`, GIN) for the lexical half of hybrid search. The schema is created
 * and migrated by the store on first use. Every write is one committed transaction; writes of one
 * user hold an advisory lock on that user, so deduplication stays exact across processes. A batch
 * is written in bulk, a few statements per 500 memories ({@link writeBatch}).
 */
export class PostgresMemoryStore implements MemoryStore {
  readonly name = 'postgres';
  readonly embedder: EmbedderIdentity;
  private readonly efSearch: number;
  private ready: Promise<unknown> | undefined;

  /** Migrates lazily, on the first call; {@link open} migrates at once. */
  constructor(
    private readonly database: SqlDatabase,
    options: PostgresStoreOptions,
  ) {
    this.embedder = { embedderId: options.embedder.embedderId, dimension: options.embedder.dimension };
    this.efSearch = options.efSearch ?? DEFAULT_EF_SEARCH;
    if (!Number.isInteger(this.efSearch) || this.efSearch < 1 || this.efSearch > 1000) {
      throw new ConfigError(`PostgreSQL memory store option efSearch = ${this.efSearch} is out of range`, 'pass a whole number from 1 to 1000 (pgvector limit), or leave it out for 100');
    }
  }

  /** A store whose schema is current (created or migrated now if need be). @throws EmbedderMismatchError when the table holds another embedder's vectors. */
  static async open(database: SqlDatabase, options: PostgresStoreOptions): Promise<PostgresMemoryStore> {
    const store = new PostgresMemoryStore(database, options);
    await store.migrated();
    return store;
  }

  async add(entries: ReadonlyArray<{ draft: MemoryDraft; vector: Float32Array }>, options: AddOptions): Promise<StoreResult[]> {
    if (entries.length === 0) return [];
    await this.migrated();
    return this.database.transaction(async (tx) => {
      await this.prepareSearch(tx);
      // One lock per user, taken in a fixed order so that two batches never wait on each other in a cycle.
      for (const userId of [...new Set(entries.map((entry) => entry.draft.userId))].sort()) {
        await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_NAMESPACE, userId]);
      }
      return writeBatch(tx, entries, options);
    });
  }

  async update(id: string, patch: MemoryPatch, vector: Float32Array | undefined, now: string): Promise<Memory | undefined> {
    const key = rowId(id);
    if (key === undefined) return undefined;
    await this.migrated();
    // Only the patched columns: a read-modify-write of the whole row would undo what another
    // server merged into the memory between this update's read and its write.
    const params: unknown[] = [key, now];
    const set = ['updated_at = $2'];
    const column = (name: string, value: unknown, cast = '') => set.push(`${name} = $${params.push(value)}${cast}`);
    if (patch.content !== undefined) {
      column('content', patch.content);
      column('content_key', contentKey(patch.content));
    }
    if (patch.type !== undefined) column('type', patch.type);
    if (patch.importance !== undefined) column('importance', patch.importance);
    if (patch.createdAt !== undefined) column('created_at', patch.createdAt);
    if (patch.metadata !== undefined) column('metadata', patch.metadata);
    if (vector) column('embedding', vectorSql(vector), '::vector');
    const { rows } = await this.database.query<MemoryRow>(`UPDATE ${MEMORY_TABLE} SET ${set.join(', ')} WHERE id = $1 RETURNING ${MEMORY_COLUMNS}`, params);
    return rows[0] && memoryOf(rows[0]);
  }

  async get(id: string): Promise<Memory | undefined> {
    const key = rowId(id);
    if (key === undefined) return undefined;
    await this.migrated();
    const { rows } = await this.database.query<MemoryRow>(`SELECT ${MEMORY_COLUMNS} FROM ${MEMORY_TABLE} WHERE id = $1`, [key]);
    return rows[0] && memoryOf(rows[0]);
  }

  async delete(id: string): Promise<boolean> {
    const key = rowId(id);
    if (key === undefined) return false;
    await this.migrated();
    return (await this.database.query(`DELETE FROM ${MEMORY_TABLE} WHERE id = $1 RETURNING id`, [key])).rows.length > 0;
  }

  async forgetUser(userId: string): Promise<number> {
    await this.migrated();
    return (await this.database.query(`DELETE FROM ${MEMORY_TABLE} WHERE user_id = $1 RETURNING id`, [userId])).rows.length;
  }

  async list(userId: string): Promise<Memory[]> {
    await this.migrated();
    const { rows } = await this.database.query<MemoryRow>(`SELECT ${MEMORY_COLUMNS} FROM ${MEMORY_TABLE} WHERE user_id = $1 ORDER BY created_at, id`, [userId]);
    return rows.map(memoryOf).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async count(userId?: string): Promise<number> {
    await this.migrated();
    const { rows } = userId === undefined ? await this.database.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${MEMORY_TABLE}`) : await this.database.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${MEMORY_TABLE} WHERE user_id = $1`, [userId]);
    return Number(rows[0]!.n);
  }

  async users(): Promise<string[]> {
    await this.migrated();
    const { rows } = await this.database.query<{ user_id: string }>(`SELECT DISTINCT user_id FROM ${MEMORY_TABLE}`);
    return rows.map((row) => row.user_id).sort();
  }

  async neighbours(id: string, radius: number): Promise<Memory[]> {
    const memory = await this.get(id);
    const { thread, position } = memory?.metadata ?? {};
    if (!memory || typeof thread !== 'string' || typeof position !== 'number') return [];
    const wanted = Array.from({ length: radius }, (_, i) => [position - i - 1, position + i + 1]).flat();
    const { rows } = await this.database.query<MemoryRow>(
      `SELECT ${MEMORY_COLUMNS} FROM ${MEMORY_TABLE}
       WHERE user_id = $1 AND md5(metadata->>'thread') = md5($2) AND metadata->>'thread' = $2 AND jsonb_typeof(metadata->'position') = 'number' AND (metadata->>'position')::float8 = ANY($3::float8[])
       ORDER BY id`,
      [memory.userId, thread, wanted],
    );
    const byPosition = new Map(rows.map(memoryOf).map((found) => [found.metadata.position as number, found]));
    return wanted.flatMap((at) => byPosition.get(at) ?? []);
  }

  async searchByVector(userId: string, vector: Float32Array, k: number, filter: MemoryFilter): Promise<Array<{ memory: Memory; similarity: number }>> {
    await this.migrated();
    const params: unknown[] = [userId, vectorSql(vector), k];
    const where = filterSql(filter, params);
    return this.database.transaction(async (tx) => {
      await this.prepareSearch(tx);
      const { rows } = await tx.query<MemoryRow & { similarity: number }>(
        `SELECT ${MEMORY_COLUMNS}, 1 - (embedding <=> $2::vector) AS similarity FROM ${MEMORY_TABLE}
         WHERE user_id = $1${where} ORDER BY embedding <=> $2::vector LIMIT $3`,
        params,
      );
      return rows.map((row) => ({ memory: memoryOf(row), similarity: Number(row.similarity) }));
    });
  }

  async searchByText(userId: string, text: string, k: number, filter: MemoryFilter): Promise<Array<{ memory: Memory; score: number }>> {
    const words = [...new Set(text.toLowerCase().normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? [])].slice(0, 64);
    if (words.length === 0) return [];
    await this.migrated();
    // Any word may match (OR), as BM25 ranks: "painted the fence" should find a memory about painting alone.
    const params: unknown[] = [userId, words.join(' | '), k];
    const where = filterSql(filter, params);
    const { rows } = await this.database.query<MemoryRow & { score: number }>(
      `SELECT ${MEMORY_COLUMNS}, ts_rank(lexemes, query, 1) AS score FROM ${MEMORY_TABLE}, to_tsquery('english', $2) AS query
       WHERE user_id = $1 AND lexemes @@ query${where} ORDER BY score DESC, id LIMIT $3`,
      params,
    );
    return rows.map((row) => ({ memory: memoryOf(row), score: Number(row.score) }));
  }

  /** {@link searchMemoryStore}: PostgreSQL's vector and full-text halves, fused and scored in this process. */
  search(query: MemoryQuery, options: MemorySearchOptions, scoring: MemoryScoring): Promise<MemoryHit[]> {
    return searchMemoryStore(this, query, options, scoring);
  }

  close(): Promise<void> {
    return this.database.close();
  }

  private migrated(): Promise<unknown> {
    this.ready ??= migrate(this.database, this.embedder).catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  /** Iterative scans: the HNSW search goes on until `k` rows of this user pass the filters, in exact distance order. */
  private async prepareSearch(tx: SqlQueryable): Promise<void> {
    await tx.query("SET LOCAL hnsw.iterative_scan = 'strict_order'");
    await tx.query(`SET LOCAL hnsw.ef_search = ${this.efSearch}`);
  }
}

/** A PostgreSQL memory store at `url` over a pool of `pg` connections (idle ones let the process exit). */
export function connectPostgresMemoryStore(url: string, options: PostgresStoreOptions & { maxConnections?: number }): PostgresMemoryStore {
  const max = options.maxConnections ?? 10;
  // pg takes any number and then waits forever for a connection it will never open.
  if (!Number.isInteger(max) || max < 1) throw new ConfigError(`connectPostgresMemoryStore maxConnections = ${String(max)} must be a whole number of 1 or more`, 'leave it out for 10');
  const pool = new pg.Pool({ connectionString: url, max, allowExitOnIdle: true });
  return new PostgresMemoryStore(poolDatabase(pool), options);
}

/** The store a configuration names for an embedder: undefined for the in-process default. */
export function memoryStoreFor(config: MemoryStoreConfig | undefined, embedder: EmbedderIdentity): MemoryStore | undefined {
  return config?.store === 'postgres' ? connectPostgresMemoryStore(config.url, { embedder }) : undefined;
}

/** The filters as SQL conditions on parameters appended to `params`. */
function filterSql({ types, timeRange, minImportance }: MemoryFilter, params: unknown[]): string {
  const conditions: string[] = [];
  if (types !== undefined) conditions.push(`type = ANY($${params.push([...types])}::text[])`);
  if (minImportance !== undefined && minImportance > 0) conditions.push(`importance >= $${params.push(minImportance)}`);
  if (timeRange?.from !== undefined) conditions.push(`created_at >= $${params.push(new Date(timeRange.from).toISOString())}`);
  if (timeRange?.to !== undefined) conditions.push(`created_at <= $${params.push(new Date(timeRange.to).toISOString())}`);
  return conditions.map((condition) => ` AND ${condition}`).join('');
}
