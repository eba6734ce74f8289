import type { EmbedderIdentity } from './embedding.js';
import { fuseRankings, type FusionOptions } from './hybrid.js';
import type { MemoryHit, MemorySearchOptions, StoreResult } from './long-term.js';
import type { MemoryScorer } from './scoring.js';
import type { Memory } from './types.js';

/** A validated memory not stored yet: what {@link MemoryStore.add} and {@link MemoryStore.update} write. */
export type MemoryDraft = Omit<Memory, 'id' | 'createdAt' | 'updatedAt'> & { createdAt?: string };

/**
 * How far below the dedup threshold a similarity may fall and still meet it, in every store: the
 * float32 cosine of a vector with itself comes out a few units in the last place below 1
 * in process and exactly 1 in pgvector, so `dedupThreshold: 1` merged identical texts in one store only.
 */
export const SIMILARITY_TOLERANCE = 1e-6;

/** The fields an update changes; the others stay as they are in the store at that moment. */
export type MemoryPatch = Partial<Pick<MemoryDraft, 'content' | 'type' | 'importance' | 'metadata'>> & { createdAt?: string };

/** The filters of a search, applied inside the store's query. */
export type MemoryFilter = Pick<MemorySearchOptions, 'types' | 'timeRange' | 'minImportance'>;

/** How {@link MemoryStore.add} deduplicates and dates what it writes. */
export interface AddOptions {
  /** Cosine similarity at or above which a memory updates its nearest neighbour of the same user. */
  dedupThreshold: number;
  /** The memory clock's now (ISO 8601): `updatedAt`, and `createdAt` where the draft has none. */
  now: string;
}

/** A search's query: its text, and its vector, embedded only when the store needs it (a user without memories costs no embedding). */
export interface MemoryQuery {
  text: string;
  vector(): Promise<Float32Array>;
}

/** How a search scores its hits and fuses its lexical and dense rankings. */
export interface MemoryScoring {
  scorer: MemoryScorer;
  fusion: FusionOptions;
}

/**
 * Where a {@link LongTermMemory} keeps its memories: in this process (`InProcessMemoryStore`, the
 * default) or, to outlive the process and be shared by several, in PostgreSQL
 * (`PostgresMemoryStore`). Every method works inside one user's partition: a query never reads
 * another user's memories.
 */
export interface MemoryStore {
  /** What kind of store this is, for messages: `in-process`, `postgres`. */
  readonly name: string;
  /** The embedder whose vectors the store holds; LongTermMemory refuses another. */
  readonly embedder: EmbedderIdentity;
  /**
   * Writes memories in order, each merged into a near-duplicate of the same user (same normalized
   * content, or cosine >= `dedupThreshold`) where there is one, of this batch too. The check and the
   * write are atomic: two writers storing the same fact at once leave one memory. Resolves once committed.
   */
  add(entries: ReadonlyArray<{ draft: MemoryDraft; vector: Float32Array }>, options: AddOptions): Promise<StoreResult[]>;
  /**
   * Changes the fields of `patch` (and the vector, when given) and only those, in one write:
   * another server's change to the other fields meanwhile is kept. Undefined for an unknown id.
   */
  update(id: string, patch: MemoryPatch, vector: Float32Array | undefined, now: string): Promise<Memory | undefined>;
  get(id: string): Promise<Memory | undefined>;
  delete(id: string): Promise<boolean>;
  /** Deletes every memory of a user; resolves to how many went. */
  forgetUser(userId: string): Promise<number>;
  /** A user's memories, oldest first (ties by id). */
  list(userId: string): Promise<Memory[]>;
  /** How many memories are stored, for one user or for all. */
  count(userId?: string): Promise<number>;
  /** The users with at least one memory, sorted. */
  users(): Promise<string[]>;
  /** The memories at positions up to `radius` before and after this one in its thread, nearest first. */
  neighbours(id: string, radius: number): Promise<Memory[]>;
  /** The user's `k` memories nearest to `vector` (cosine) among those passing `filter`, nearest first. */
  searchByVector(userId: string, vector: Float32Array, k: number, filter: MemoryFilter): Promise<Array<{ memory: Memory; similarity: number }>>;
  /** The user's `k` memories best matching `text` lexically among those passing `filter`, best first; scores compare only within one answer. */
  searchByText(userId: string, text: string, k: number, filter: MemoryFilter): Promise<Array<{ memory: Memory; score: number }>>;
  /** The user's best `k` memories for a query: lexical and dense hits fused, scored by relevance, recency and importance, best first (ties by id); filters apply inside. */
  search(query: MemoryQuery, options: MemorySearchOptions, scoring: MemoryScoring): Promise<MemoryHit[]>;
  /** Releases connections; the store is unusable afterwards. */
  close(): Promise<void>;
}

/** How a store is chosen in configuration: the in-process default, or PostgreSQL with pgvector at a connection URL. */
export type MemoryStoreConfig = { store: 'in-process' } | { store: 'postgres'; url: string };

/** Environment variable holding a PostgreSQL URL for long-term memory, used when the configuration names no store. */
export const MEMORY_URL_ENV = 'CTXBENCH_MEMORY_URL';

/** Hits each half of a hybrid search contributes before fusion, in every store. */
export const SEARCH_DEPTH = 50;

/** Text as deduplication compares it: trimmed, whitespace collapsed, lowercase. */
export const contentKey = (content: string) => content.trim().replace(/\s+/g, ' ').toLowerCase();

/** A near-duplicate after a new memory merged into it: the new text, the higher importance, the later date, both metadata. */
export function mergeDuplicate(duplicate: Memory, input: MemoryDraft, createdAt: string, now: string): Memory {
  return {
    ...duplicate,
    content: input.content,
    importance: Math.max(duplicate.importance, input.importance),
    createdAt: createdAt > duplicate.createdAt ? createdAt : duplicate.createdAt,
    updatedAt: now,
    metadata: { ...duplicate.metadata, ...input.metadata },
  };
}

/** Best score first, ties by id, so a search's order is deterministic. */
export function byHitScore(a: MemoryHit, b: MemoryHit): number {
  return b.score - a.score || (a.memory.id < b.memory.id ? -1 : 1);
}

/**
 * A hybrid search of one user's partition built on a store's {@link MemoryStore.searchByVector} and
 * {@link MemoryStore.searchByText}: the two rankings fused as the in-process index fuses them (dense
 * hits sharing nothing with the query left out), then scored by relevance, recency and importance.
 */
export async function searchMemoryStore(store: MemoryStore, query: MemoryQuery, options: MemorySearchOptions, scoring: MemoryScoring): Promise<MemoryHit[]> {
  const k = options.k ?? 10;
  if (k <= 0) return [];
  const depth = Math.max(k, SEARCH_DEPTH);
  const [dense, sparse] = await Promise.all([store.searchByVector(options.userId, await query.vector(), depth, options), store.searchByText(options.userId, query.text, depth, options)]);
  const close = dense.filter((hit) => hit.similarity > 0);
  const memories = new Map([...close, ...sparse].map((hit) => [hit.memory.id, hit.memory]));
  const similarity = new Map(close.map((hit) => [hit.memory.id, hit.similarity]));
  const fused = fuseRankings([sparse.map((hit) => ({ id: hit.memory.id, score: hit.score })), close.map((hit) => ({ id: hit.memory.id, score: hit.similarity }))], scoring.fusion);
  const now = options.now ?? scoring.scorer.now();
  return fused
    .slice(0, depth)
    .map((hit) => {
      const memory = memories.get(hit.id)!;
      const cosine = similarity.get(hit.id);
      return { memory, ...scoring.scorer.score(memory, hit.relevance, now), ...(cosine === undefined ? {} : { similarity: cosine }) };
    })
    .sort(byHitScore)
    .slice(0, k);
}
