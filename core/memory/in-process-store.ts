import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { firstIssue } from '../validation.js';
import { countBy, groupBy, TopMemories } from './collections.js';
import type { EmbedderIdentity } from './embedding.js';
import { HnswVectorStore } from './hnsw-store.js';
import { HybridIndex } from './hybrid.js';
import { CorruptStoreError, readStoreJson, writeStoreJson } from './json-files.js';
import { CURRENT_FILE, currentSchema, FORMAT, generationsIn, MEMORIES_FILE, savedSchema } from './long-term-format.js';
import type { MemoryHit, MemorySearchOptions, StoreResult } from './long-term.js';
import { contentKey, mergeDuplicate, SEARCH_DEPTH, SIMILARITY_TOLERANCE, type AddOptions, type MemoryDraft, type MemoryFilter, type MemoryPatch, type MemoryQuery, type MemoryScoring, type MemoryStore } from './memory-store.js';
import { StandingOrder } from './standing-order.js';
import type { Memory, VectorStore } from './types.js';
import { ExactVectorStore, openVectorStore } from './vector-store.js';

/** Memories per user above which a partition moves from exact search to HNSW; see {@link InProcessStoreOptions.hnswThreshold}. */
export const hnswThresholdSchema = z.number().int('must be a whole number of memories').positive('must be above zero').default(2_000);

/** Options of an {@link InProcessMemoryStore}. */
export interface InProcessStoreOptions {
  /** The embedder whose vectors the store holds. */
  embedder: EmbedderIdentity;
  /**
   * Memories per user above which the user's vectors move from exact search to HNSW. Exact search
   * over 1024-d vectors costs ~15 ms at 10,000 and ~1.5 ms at 1,000 (bench/micro/memory-store), so
   * assemble() with a 10,000-memory user fell from 25.8 to 9.6 ms p95 with HNSW. @default 2000
   */
  hnswThreshold?: number;
}

const optionsSchema = z.object({ hnswThreshold: hnswThresholdSchema });

/** One user's memories and their hybrid index (exact vector search until the partition outgrows `hnswThreshold`). */
interface Partition {
  memories: Map<string, Memory>;
  index: HybridIndex;
  /**
   * Normalized content -> ids: an exact repeat is a duplicate whatever the embedder says. Several,
   * since an update can give one memory another's text; a repeat merges into the lowest id, as in PostgreSQL.
   */
  contents: Map<string, Set<string>>;
  /** `thread \u0000 position` -> id, for neighbouring turns. */
  positions: Map<string, string>;
  /** The memories newest and most important first, for the memories a search scores without a match. */
  order: StandingOrder;
}

/** HNSW breadth of the write-time duplicate check: only the nearest vector is needed, and a near-duplicate (cosine >= 0.9) is easy to find. */
const DEDUP_EF = 40;

/** Graph build breadth of a user's HNSW store (the store's default is 200): see the README's bulk-load table. */
const MEMORY_EF_CONSTRUCTION = 100;

/** Partitions up to this size are scored whole by {@link InProcessMemoryStore.search}; larger ones only on their lexical and dense hits. */
const EXHAUSTIVE_LIMIT = 1000;

const positionKey = (metadata: Record<string, unknown>) =>
  typeof metadata.thread === 'string' && typeof metadata.position === 'number' ? `${metadata.thread}\u0000${metadata.position}` : undefined;

/**
 * Long-term memory in this process, the default store: nothing to set up, saved to and opened
 * from a directory. Users are partitioned: every search runs inside one user's own indexes, so a
 * search for one user can never return another's memory. Each partition fuses BM25 over its texts
 * with exact cosine search over its vectors (HNSW once it holds more than `hnswThreshold` memories).
 */
export class InProcessMemoryStore implements MemoryStore {
  readonly name = 'in-process';
  readonly embedder: EmbedderIdentity;
  private readonly hnswThreshold: number;
  private readonly partitions = new Map<string, Partition>();
  private readonly owners = new Map<string, string>();
  private nextId = 1;

  /** @throws ConfigError naming the option, its value and the fix. */
  constructor(options: InProcessStoreOptions) {
    const { embedder, ...settings } = options;
    const parsed = optionsSchema.safeParse(settings);
    if (!parsed.success) {
      const issue = firstIssue(settings, parsed.error);
      throw new ConfigError(`invalid in-process memory store option: ${issue.key} = ${JSON.stringify(issue.value)} ${issue.problem}`, 'leave it out for the default or pass a value in range');
    }
    this.embedder = { embedderId: embedder.embedderId, dimension: embedder.dimension };
    this.hnswThreshold = parsed.data.hnswThreshold;
  }

  /**
   * Stores in order, each merged into a near-duplicate of the same user where there is one. A user
   * this batch takes past `hnswThreshold` moves to HNSW before the batch, so the duplicate checks
   * are graph searches, not a scan of every earlier vector (10,000 memories: 317 s before, see the README).
   */
  async add(entries: ReadonlyArray<{ draft: MemoryDraft; vector: Float32Array }>, options: AddOptions): Promise<StoreResult[]> {
    for (const [userId, incoming] of countBy(entries, (entry) => entry.draft.userId)) {
      if ((this.partitions.get(userId)?.memories.size ?? 0) + incoming > this.hnswThreshold) this.moveToHnsw(this.partitionOf(userId));
    }
    return entries.map(({ draft, vector }) => this.addOne(draft, vector, options));
  }

  async update(id: string, patch: MemoryPatch, vector: Float32Array | undefined, now: string): Promise<Memory | undefined> {
    const memory = this.memoryOf(id);
    if (!memory) return undefined;
    const partition = this.partitions.get(memory.userId)!;
    this.unindex(partition, memory);
    const updated: Memory = { ...memory, ...patch, id, userId: memory.userId, updatedAt: now };
    this.index(partition, updated, vector);
    return copyOf(updated);
  }

  async get(id: string): Promise<Memory | undefined> {
    const memory = this.memoryOf(id);
    return memory && copyOf(memory);
  }

  async delete(id: string): Promise<boolean> {
    const memory = this.memoryOf(id);
    if (!memory) return false;
    const partition = this.partitions.get(memory.userId)!;
    this.unindex(partition, memory);
    partition.index.delete(id);
    this.owners.delete(id);
    if (partition.memories.size === 0) this.partitions.delete(memory.userId);
    return true;
  }

  /** Deletes every memory of a user and the user's indexes (from disk at the next save). */
  async forgetUser(userId: string): Promise<number> {
    const partition = this.partitions.get(userId);
    if (!partition) return 0;
    for (const id of partition.memories.keys()) this.owners.delete(id);
    this.partitions.delete(userId);
    return partition.memories.size;
  }

  async list(userId: string): Promise<Memory[]> {
    return this.listOf(userId);
  }

  async count(userId?: string): Promise<number> {
    return userId === undefined ? this.owners.size : (this.partitions.get(userId)?.memories.size ?? 0);
  }

  async users(): Promise<string[]> {
    return this.userIds();
  }

  async neighbours(id: string, radius: number): Promise<Memory[]> {
    const memory = this.memoryOf(id);
    const partition = memory && this.partitions.get(memory.userId);
    const key = memory && positionKey(memory.metadata);
    if (!partition || !key) return [];
    const found: Memory[] = [];
    for (let distance = 1; distance <= radius; distance++) {
      for (const position of [Number(memory.metadata.position) - distance, Number(memory.metadata.position) + distance]) {
        const neighbour = partition.positions.get(`${memory.metadata.thread}\u0000${position}`);
        if (neighbour !== undefined) found.push(copyOf(partition.memories.get(neighbour)!));
      }
    }
    return found;
  }

  async searchByVector(userId: string, vector: Float32Array, k: number, filter: MemoryFilter): Promise<Array<{ memory: Memory; similarity: number }>> {
    const partition = this.partitions.get(userId);
    if (!partition) return [];
    return partition.index.searchVectors(vector, k, filterOf(partition, filter)).map((hit) => ({ memory: copyOf(partition.memories.get(hit.id)!), similarity: hit.score }));
  }

  async searchByText(userId: string, text: string, k: number, filter: MemoryFilter): Promise<Array<{ memory: Memory; score: number }>> {
    const partition = this.partitions.get(userId);
    if (!partition) return [];
    return partition.index.searchText(text, k, filterOf(partition, filter)).map((hit) => ({ memory: copyOf(partition.memories.get(hit.id)!), score: hit.score }));
  }

  /**
   * In a partition of up to 1,000 memories every memory competes: a recent or important memory
   * may surface without sharing a word with the query. Those that match nothing are taken newest
   * and most important first until none left could outscore the k-th, not scored one by one.
   */
  async search(query: MemoryQuery, options: MemorySearchOptions, { scorer, fusion }: MemoryScoring): Promise<MemoryHit[]> {
    const partition = this.partitions.get(options.userId);
    const k = options.k ?? 10;
    if (!partition || k <= 0) return [];
    const vector = await query.vector();
    const filter = filterOf(partition, options);
    const hits = partition.index.search({ text: query.text, vector, k: Math.max(k, SEARCH_DEPTH), fusion, ...(filter ? { filter } : {}) });
    const matched = new Map(hits.map((hit) => [hit.id, hit]));
    const now = options.now ?? scorer.now();
    const top = new TopMemories(k);
    for (const hit of hits) {
      const memory = partition.memories.get(hit.id)!;
      top.offer(memory, scorer.score(memory, hit.relevance, now).score);
    }
    if (partition.memories.size <= EXHAUSTIVE_LIMIT) {
      const accept = acceptor(options);
      const bound = (newest: Memory, important: Memory) => scorer.score({ createdAt: newest.createdAt, importance: important.importance }, 0, now).score;
      for (const { memory, rest } of partition.order.walk(bound)) {
        if (!matched.has(memory.id) && accept(memory)) top.offer(memory, scorer.score(memory, 0, now).score);
        if (top.full && top.worst > rest) break;
      }
    }
    return top.memories().map((memory) => {
      const hit = matched.get(memory.id);
      return { memory: copyOf(memory), ...scorer.score(memory, hit?.relevance ?? 0, now), ...(hit?.similarity === undefined ? {} : { similarity: hit.similarity }) };
    });
  }

  /** Nothing to release: the memories go with the object. */
  async close(): Promise<void> {}

  /**
   * Saves to `directory` as a new generation: every user's vector store and then memories.json go
   * to `gen-N/`, and only then does `current.json` switch to it (temp file plus rename). A crash at
   * any point leaves the last saved generation loadable.
   */
  save(directory: string): void {
    mkdirSync(directory, { recursive: true });
    const generation = Math.max(0, ...generationsIn(directory)) + 1;
    const target = join(directory, `gen-${generation}`);
    const users = this.userIds().map((userId, i) => ({ userId, vectors: `u${i}` }));
    for (const { userId, vectors } of users) this.partitions.get(userId)!.index.vectorStore.save(join(target, vectors));
    const memories = users.flatMap(({ userId }) => this.listOf(userId));
    writeStoreJson(join(target, MEMORIES_FILE), { format: FORMAT, version: 1, embedderId: this.embedder.embedderId, nextId: this.nextId, users, memories });
    writeStoreJson(join(directory, CURRENT_FILE), { format: FORMAT, version: 1, generation });
    for (const old of generationsIn(directory)) if (old !== generation) rmSync(join(directory, `gen-${old}`), { recursive: true, force: true });
  }

  /**
   * Opens a store saved with {@link save}; a directory never saved to opens empty.
   * @throws CorruptStoreError for an unreadable or inconsistent save; VectorStoreError for a vector store of another embedder.
   */
  static open(directory: string, options: InProcessStoreOptions): InProcessMemoryStore {
    const store = new InProcessMemoryStore(options);
    if (!existsSync(join(directory, CURRENT_FILE))) return store;
    const { generation } = readStoreJson(join(directory, CURRENT_FILE), currentSchema);
    const target = join(directory, `gen-${generation}`);
    const saved = readStoreJson(join(target, MEMORIES_FILE), savedSchema);
    store.nextId = saved.nextId;
    const byUser = groupBy(saved.memories, (m) => m.userId);
    for (const { userId, vectors } of saved.users) {
      const vectorStore = openVectorStore(join(target, vectors), { expected: store.embedder });
      const own = byUser.get(userId) ?? [];
      const partition = store.partitionOf(userId, vectorStore, own);
      const missing = own.find((m) => !vectorStore.has(m.id));
      if (missing || vectorStore.size !== own.length) {
        throw new CorruptStoreError(join(target, vectors), `holds ${vectorStore.size} vectors for ${own.length} memories of "${userId}"${missing ? ` (none for ${missing.id})` : ''}`);
      }
      for (const restored of own) store.index(partition, restored as Memory);
    }
    return store;
  }

  private userIds(): string[] {
    return [...this.partitions.keys()].sort();
  }

  private listOf(userId: string): Memory[] {
    return [...(this.partitions.get(userId)?.memories.values() ?? [])].map(copyOf).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  private memoryOf(id: string): Memory | undefined {
    const userId = this.owners.get(id);
    return userId === undefined ? undefined : this.partitions.get(userId)?.memories.get(id);
  }

  private partitionOf(userId: string, vectors?: VectorStore, documents: readonly Memory[] = []): Partition {
    let partition = this.partitions.get(userId);
    if (!partition) {
      const texts = documents.map((m) => ({ id: m.id, text: m.content }));
      partition = { memories: new Map(), index: new HybridIndex(vectors ?? new ExactVectorStore(this.embedder), {}, texts), contents: new Map(), positions: new Map(), order: new StandingOrder() };
      this.partitions.set(userId, partition);
    }
    return partition;
  }

  private addOne(draft: MemoryDraft, vector: Float32Array, { dedupThreshold, now }: AddOptions): StoreResult {
    const partition = this.partitionOf(draft.userId);
    const duplicate = this.duplicateOf(partition, draft.content, vector, dedupThreshold);
    const createdAt = draft.createdAt ?? now;
    if (duplicate) {
      this.unindex(partition, duplicate);
      const merged = mergeDuplicate(duplicate, draft, createdAt, now);
      this.index(partition, merged, vector);
      return { memory: copyOf(merged), action: 'updated' };
    }
    const memory: Memory = { id: `m${this.nextId++}`, ...draft, createdAt, updatedAt: now };
    this.index(partition, memory, vector);
    if (partition.memories.size > this.hnswThreshold) this.moveToHnsw(partition);
    return { memory: copyOf(memory), action: 'added' };
  }

  private duplicateOf(partition: Partition, content: string, vector: Float32Array, dedupThreshold: number): Memory | undefined {
    const same = partition.contents.get(contentKey(content));
    if (same !== undefined && same.size > 0) return partition.memories.get(lowestId(same));
    if (partition.memories.size === 0 || dedupThreshold > 1) return undefined;
    const store = partition.index.vectorStore;
    const [nearest] = store instanceof HnswVectorStore ? store.searchAt(DEDUP_EF, vector, 1) : store.search(vector, 1);
    return nearest && nearest.similarity >= dedupThreshold - SIMILARITY_TOLERANCE ? partition.memories.get(nearest.id) : undefined;
  }

  /** Registers a memory in its partition's maps; with a vector, (re)indexes its text and vector too. */
  private index(partition: Partition, memory: Memory, vector?: Float32Array): void {
    partition.memories.set(memory.id, memory);
    partition.order.add(memory);
    this.owners.set(memory.id, memory.userId);
    const content = contentKey(memory.content);
    const ids = partition.contents.get(content);
    if (ids) ids.add(memory.id);
    else partition.contents.set(content, new Set([memory.id]));
    const key = positionKey(memory.metadata);
    if (key !== undefined) partition.positions.set(key, memory.id);
    if (vector) partition.index.add([{ id: memory.id, text: memory.content, vector }]);
  }

  private unindex(partition: Partition, memory: Memory): void {
    partition.memories.delete(memory.id);
    partition.order.remove(memory);
    const content = contentKey(memory.content);
    const ids = partition.contents.get(content);
    ids?.delete(memory.id);
    if (ids?.size === 0) partition.contents.delete(content);
    const key = positionKey(memory.metadata);
    if (key !== undefined && partition.positions.get(key) === memory.id) partition.positions.delete(key);
  }

  /** Moves a partition from exact search to HNSW (once), with the vectors its store holds. */
  private moveToHnsw(partition: Partition): void {
    const current = partition.index.vectorStore;
    if (current instanceof HnswVectorStore) return;
    const memories = [...partition.memories.values()];
    const store = new HnswVectorStore({ ...this.embedder, efConstruction: MEMORY_EF_CONSTRUCTION, initialCapacity: Math.max(1024, memories.length) });
    partition.index.moveVectors(store, memories.map((m) => ({ id: m.id, vector: current.vectorOf!(m.id)! })));
  }
}

/** The filter as a test of a memory id, or undefined when it lets everything through: a filter is a JS call per visited graph node and per lexical match. */
function filterOf(partition: Partition, filter: MemoryFilter): ((id: string) => boolean) | undefined {
  const filtered = filter.types !== undefined || filter.timeRange !== undefined || (filter.minImportance ?? 0) > 0;
  if (!filtered) return undefined;
  const accept = acceptor(filter);
  return (id) => accept(partition.memories.get(id)!);
}

function acceptor({ types, timeRange, minImportance = 0 }: MemoryFilter): (memory: Memory) => boolean {
  const from = timeRange?.from === undefined ? -Infinity : new Date(timeRange.from).getTime();
  const to = timeRange?.to === undefined ? Infinity : new Date(timeRange.to).getTime();
  return (memory) => {
    const at = Date.parse(memory.createdAt);
    return (types === undefined || types.includes(memory.type)) && memory.importance >= minImportance && at >= from && at <= to;
  };
}

/** A copy the caller may change freely; flat metadata (the usual kind) is copied without structuredClone, which cost 5% of a search. */
function copyOf(memory: Memory): Memory {
  const flat = Object.values(memory.metadata).every((value) => value === null || typeof value !== 'object');
  return { ...memory, metadata: flat ? { ...memory.metadata } : structuredClone(memory.metadata) };
}

/** The id of the oldest memory (`m` and a number) of a set. */
function lowestId(ids: ReadonlySet<string>): string {
  let lowest: string | undefined;
  for (const id of ids) if (lowest === undefined || Number(id.slice(1)) < Number(lowest.slice(1))) lowest = id;
  return lowest!;
}
