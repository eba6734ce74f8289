import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, InputError } from '../errors.js';
import { firstIssue } from '../validation.js';
import { assertSameEmbedder, identityOf } from './embedding.js';
import { HnswVectorStore } from './hnsw-store.js';
import { HybridIndex, type FusionOptions } from './hybrid.js';
import { CorruptStoreError, readStoreJson, writeStoreJson } from './json-files.js';
import { CURRENT_FILE, currentSchema, FORMAT, generationsIn, inputSchema, MEMORIES_FILE, savedSchema } from './long-term-format.js';
import { contentKey, mergeDuplicate, searchMemoryStore, type MemoryDraft, type MemoryStore } from './memory-store.js';
import { QueryCache } from './query-cache.js';
import { bestOf, countBy, groupBy } from './collections.js';
import { MemoryScorer, type ScoreParts, type ScoringWeights } from './scoring.js';
import { type Embedder, type Memory, type MemoryType, type VectorStore } from './types.js';
import { ExactVectorStore, openVectorStore } from './vector-store.js';

/** What {@link LongTermMemory.store} takes. */
export interface MemoryInput {
  userId: string;
  content: string;
  type: MemoryType;
  /** 0..1 @default 0.5 */
  importance?: number;
  /** When it happened (ISO 8601 or a Date). @default now() */
  createdAt?: string | Date;
  /**
   * Free-form; `thread` (string) and `position` (number) mark a memory as one turn of a
   * conversation, so retrieval can bring its neighbouring turns along.
   */
  metadata?: Record<string, unknown>;
}

/** What a store did: added a memory, or merged the input into a near-duplicate of the same user. */
export interface StoreResult {
  memory: Memory;
  action: 'added' | 'updated';
}

/** Filters and size of a {@link LongTermMemory.search}. */
export interface MemorySearchOptions {
  userId: string;
  /** @default 10 */
  k?: number;
  /** Only these types. @default every type */
  types?: readonly MemoryType[];
  /** Only memories created in this range (inclusive). */
  timeRange?: { from?: string | Date; to?: string | Date };
  /** @default 0 */
  minImportance?: number;
  /** The moment recency is measured at. @default the memory's clock */
  now?: Date;
}

/** A memory found by a search, with its score and the parts of it. */
export interface MemoryHit extends ScoreParts {
  memory: Memory;
  /** Cosine similarity of the query and memory vectors, where the dense search found it. */
  similarity?: number;
}

/** Options of a {@link LongTermMemory}. */
export interface LongTermMemoryOptions {
  embedder: Embedder;
  /** The clock for timestamps and recency; inject one to replay old data reproducibly. @default () => new Date() */
  now?: () => Date;
  /** @default DEFAULT_HALF_LIFE_DAYS (30) */
  halfLifeDays?: number;
  /** @default DEFAULT_SCORING_WEIGHTS */
  weights?: Partial<ScoringWeights>;
  /** Cosine similarity at or above which a new memory updates an existing one of the same user. @default 0.9 */
  dedupThreshold?: number;
  /**
   * Memories per user above which the user's vectors move from exact search to HNSW. Exact search
   * over 1024-d vectors costs ~15 ms at 10,000 and ~1.5 ms at 1,000 (bench/micro/memory-store), so
   * assemble() with a 10,000-memory user fell from 25.8 to 9.6 ms p95 with HNSW. @default 2000
   */
  hnswThreshold?: number;
  /** How lexical and dense rankings are fused. @default DEFAULT_MEMORY_FUSION */
  fusion?: FusionOptions;
  /** Where {@link LongTermMemory.save} writes by default. */
  directory?: string;
  /** Where memories live when they must outlive the process or be shared (a {@link PostgresMemoryStore}). @default the in-process partitions */
  store?: MemoryStore;
}

const optionsSchema = z.object({
  dedupThreshold: z.number().gt(0, 'must be a cosine similarity above 0').max(1.01, 'must be at most 1 (or just above, to turn dedup off)').default(0.9),
  hnswThreshold: z.number().int('must be a whole number of memories').positive('must be above zero').default(2_000),
});

/** One user's memories and their hybrid index (exact vector search until the partition outgrows `hnswThreshold`). */
interface Partition {
  memories: Map<string, Memory>;
  index: HybridIndex;
  /** Normalized content -> id: an exact repeat is a duplicate whatever the embedder says. */
  contents: Map<string, string>;
  /** `thread \u0000 position` -> id, for neighbouring turns. */
  positions: Map<string, string>;
}

/** HNSW breadth of the write-time duplicate check: only the nearest vector is needed, and a near-duplicate (cosine >= 0.9) is easy to find. */
const DEDUP_EF = 40;

/** Graph build breadth of a user's HNSW store (the store's default is 200): see the README's bulk-load table. */
const MEMORY_EF_CONSTRUCTION = 100;

/** Partitions up to this size are scored whole by {@link LongTermMemory.search}; larger ones only on their lexical and dense hits. */
const EXHAUSTIVE_LIMIT = 1000;

const positionKey = (metadata: Record<string, unknown>) =>
  typeof metadata.thread === 'string' && typeof metadata.position === 'number' ? `${metadata.thread}\u0000${metadata.position}` : undefined;

/** The default fusion: max-normalized BM25 and cosine scores, lexical weighted 2:1 (on LoCoMo at 1,764 tokens: 0.83 evidence recall, RRF 0.80). */
export const DEFAULT_MEMORY_FUSION: Readonly<FusionOptions> = Object.freeze({ method: 'convex', weights: [1, 0.5] });

/**
 * Long-term memory of many users: store, search, update, delete, forget a user, save and open.
 * Users are partitioned: every search runs inside one user's own indexes, so a search for one
 * user can never return another's memory. Each partition fuses BM25 over its texts with exact
 * cosine search over its vectors (HNSW once it holds more than `hnswThreshold` memories); hits
 * are scored by {@link MemoryScorer}. A new memory that is a near-duplicate of one of the same
 * user (same normalized text, or cosine >= `dedupThreshold`) updates that memory instead.
 */
export class LongTermMemory {
  readonly scorer: MemoryScorer;
  readonly embedder: Embedder;
  readonly directory: string | undefined;
  private readonly backend: MemoryStore | undefined;
  private readonly settings: z.infer<typeof optionsSchema>;
  private readonly fusion: FusionOptions;
  private readonly partitions = new Map<string, Partition>();
  private readonly owners = new Map<string, string>();
  /** Query embeddings, shared by repeated searches for the same text (a query vector is never mutated). */
  private readonly queryVectors = new QueryCache<Promise<Float32Array>>();
  private nextId = 1;

  /** @throws ConfigError naming the option, its value and the fix. */
  constructor(options: LongTermMemoryOptions) {
    const { embedder, now, halfLifeDays, weights, fusion, directory, store, ...settings } = options;
    const parsed = optionsSchema.safeParse(settings);
    if (!parsed.success) {
      const issue = firstIssue(settings, parsed.error);
      throw new ConfigError(`invalid long-term memory option: ${issue.key} = ${JSON.stringify(issue.value)} ${issue.problem}`, 'leave it out for the default or pass a value in range');
    }
    this.settings = parsed.data;
    this.embedder = embedder;
    this.scorer = new MemoryScorer({ now, halfLifeDays, weights });
    this.fusion = fusion ?? DEFAULT_MEMORY_FUSION;
    this.directory = directory;
    if (store) assertSameEmbedder(identityOf(embedder), store.embedder, `${store.name} memory store`);
    this.backend = store;
  }

  /** The memory's clock. */
  now(): Date {
    return this.scorer.now();
  }

  /** How many memories are stored, for one user or for all. */
  async count(userId?: string): Promise<number> {
    if (this.backend) return this.backend.count(userId);
    return userId === undefined ? this.owners.size : (this.partitions.get(userId)?.memories.size ?? 0);
  }

  /** The users with at least one memory, sorted. */
  async users(): Promise<string[]> {
    if (this.backend) return this.backend.users();
    return this.userIds();
  }

  private userIds(): string[] {
    return [...this.partitions.keys()].sort();
  }

  async get(id: string): Promise<Memory | undefined> {
    if (this.backend) return this.backend.get(id);
    const memory = this.memoryOf(id);
    return memory && copyOf(memory);
  }

  /** A user's memories, oldest first. */
  async list(userId: string): Promise<Memory[]> {
    if (this.backend) return this.backend.list(userId);
    return this.listOf(userId);
  }

  private listOf(userId: string): Memory[] {
    return [...(this.partitions.get(userId)?.memories.values() ?? [])].map(copyOf).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** The memories at positions up to `radius` before and after this one in its thread (metadata.thread, metadata.position), nearest first. */
  async neighbours(id: string, radius = 1): Promise<Memory[]> {
    if (this.backend) return this.backend.neighbours(id, radius);
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

  /** Stores one memory, or merges it into a near-duplicate of the same user. @throws InputError for malformed input. */
  async store(input: MemoryInput): Promise<StoreResult> {
    return (await this.storeMany([input]))[0]!;
  }

  /**
   * Stores memories in order, as the same store() calls one by one would: each may merge into an
   * earlier one, of this batch too. A bulk load costs one embedding call, one lexical index update
   * per user, and duplicate checks through each user's vector index: a user this batch takes past
   * `hnswThreshold` moves to HNSW before the batch, so the checks are graph searches, not a scan of
   * every earlier vector (10,000 memories: 317 s before, see the README).
   */
  async storeMany(inputs: readonly MemoryInput[]): Promise<StoreResult[]> {
    const parsed = inputs.map(parseInput);
    const vectors = parsed.length === 0 ? [] : await this.embedder.embed(parsed.map((input) => input.content));
    if (this.backend) return this.backend.add(parsed.map((draft, i) => ({ draft, vector: vectors[i]! })), { dedupThreshold: this.settings.dedupThreshold, now: this.now().toISOString() });
    for (const [userId, incoming] of countBy(parsed, (input) => input.userId)) {
      if ((this.partitions.get(userId)?.memories.size ?? 0) + incoming > this.settings.hnswThreshold) this.moveToHnsw(this.partitionOf(userId));
    }
    return parsed.map((input, i) => this.storeOne(input, vectors[i]!));
  }

  /** The user's best `k` memories for `query`, best first (ties by id). Filters apply inside the search. */
  async search(query: string, options: MemorySearchOptions): Promise<MemoryHit[]> {
    if (this.backend) return searchMemoryStore(this.backend, { text: query, vector: (await this.embedder.embed([query]))[0]! }, options, { scorer: this.scorer, fusion: this.fusion });
    const partition = this.partitions.get(options.userId);
    const k = options.k ?? 10;
    if (!partition || k <= 0) return [];
    const vector = await this.queryVector(query);
    const accept = acceptor(options);
    const filtered = options.types !== undefined || options.timeRange !== undefined || (options.minImportance ?? 0) > 0;
    // No filter unless asked: a filter is a JS call per visited graph node and per lexical match.
    const filter = filtered ? (id: string) => accept(partition.memories.get(id)!) : undefined;
    const hits = partition.index.search({ text: query, vector, k: Math.max(k, 50), ...(filter ? { filter } : {}) });
    const matched = new Map(hits.map((hit) => [hit.id, hit]));
    // A small partition is scored whole: a recent or important memory may surface without sharing a word with the query.
    const pool = partition.memories.size <= EXHAUSTIVE_LIMIT ? [...partition.memories.values()].filter(accept) : hits.map((hit) => partition.memories.get(hit.id)!);
    const now = options.now ?? this.now();
    const best = bestOf(pool, k, (memory) => this.scorer.score(memory, matched.get(memory.id)?.relevance ?? 0, now).score);
    return best.map((memory) => {
      const hit = matched.get(memory.id);
      return { memory: copyOf(memory), ...this.scorer.score(memory, hit?.relevance ?? 0, now), ...(hit?.similarity === undefined ? {} : { similarity: hit.similarity }) };
    });
  }

  /** Changes a memory; a new content is re-embedded. @throws InputError for an unknown id or a malformed patch. */
  async update(id: string, patch: Partial<Pick<Memory, 'content' | 'type' | 'importance' | 'createdAt' | 'metadata'>>): Promise<Memory> {
    const memory = this.backend ? await this.backend.get(id) : this.memoryOf(id);
    if (!memory) return missing(id);
    const next = parseInput({ ...memory, ...patch });
    const vector = patch.content === undefined ? undefined : (await this.embedder.embed([next.content]))[0];
    if (this.backend) return (await this.backend.update(id, next, vector, this.now().toISOString())) ?? missing(id);
    const partition = this.partitions.get(memory.userId)!;
    this.unindex(partition, memory);
    const updated: Memory = { ...memory, ...next, id, userId: memory.userId, updatedAt: this.now().toISOString() };
    this.index(partition, updated, vector);
    return copyOf(updated);
  }

  async delete(id: string): Promise<boolean> {
    if (this.backend) return this.backend.delete(id);
    const memory = this.memoryOf(id);
    if (!memory) return false;
    const partition = this.partitions.get(memory.userId)!;
    this.unindex(partition, memory);
    partition.index.delete(id);
    this.owners.delete(id);
    if (partition.memories.size === 0) this.partitions.delete(memory.userId);
    return true;
  }

  /** Deletes every memory of a user and the user's indexes (from disk at the next save); returns how many went. */
  async forgetUser(userId: string): Promise<number> {
    if (this.backend) return this.backend.forgetUser(userId);
    const partition = this.partitions.get(userId);
    if (!partition) return 0;
    for (const id of partition.memories.keys()) this.owners.delete(id);
    this.partitions.delete(userId);
    return partition.memories.size;
  }

  /**
   * Saves to `directory` (default: the configured one) as a new generation: every user's vector
   * store and then memories.json go to `gen-N/`, and only then does `current.json` switch to it
   * (temp file plus rename). A crash at any point leaves the last saved generation loadable.
   */
  save(directory = this.directory): void {
    if (this.backend) throw new ConfigError(`long-term memory in a ${this.backend.name} store has nothing to save`, 'leave save() out: the store commits every write');
    if (directory === undefined) throw new ConfigError('long-term memory has no directory to save to', 'pass one to save() or as the directory option');
    mkdirSync(directory, { recursive: true });
    const generation = Math.max(0, ...generationsIn(directory)) + 1;
    const target = join(directory, `gen-${generation}`);
    const users = this.userIds().map((userId, i) => ({ userId, vectors: `u${i}` }));
    for (const { userId, vectors } of users) this.partitions.get(userId)!.index.vectorStore.save(join(target, vectors));
    const memories = users.flatMap(({ userId }) => this.listOf(userId));
    writeStoreJson(join(target, MEMORIES_FILE), { format: FORMAT, version: 1, embedderId: this.embedder.id, nextId: this.nextId, users, memories });
    writeStoreJson(join(directory, CURRENT_FILE), { format: FORMAT, version: 1, generation });
    for (const old of generationsIn(directory)) if (old !== generation) rmSync(join(directory, `gen-${old}`), { recursive: true, force: true });
  }

  /**
   * Opens a memory saved with {@link save}; a directory never saved to opens empty.
   * @throws CorruptStoreError for an unreadable or inconsistent save; VectorStoreError for a vector store of another embedder.
   */
  static open(directory: string, options: Omit<LongTermMemoryOptions, 'directory'>): LongTermMemory {
    if (options.store) throw new ConfigError(`long-term memory in a ${options.store.name} store is not opened from a directory`, 'pass the store to new LongTermMemory() instead');
    const memory = new LongTermMemory({ ...options, directory });
    if (!existsSync(join(directory, CURRENT_FILE))) return memory;
    const { generation } = readStoreJson(join(directory, CURRENT_FILE), currentSchema);
    const target = join(directory, `gen-${generation}`);
    const saved = readStoreJson(join(target, MEMORIES_FILE), savedSchema);
    memory.nextId = saved.nextId;
    const byUser = groupBy(saved.memories, (m) => m.userId);
    for (const { userId, vectors } of saved.users) {
      const store = openVectorStore(join(target, vectors), { expected: identityOf(memory.embedder) });
      const own = byUser.get(userId) ?? [];
      const partition = memory.partitionOf(userId, store, own);
      const missing = own.find((m) => !store.has(m.id));
      if (missing || store.size !== own.length) {
        throw new CorruptStoreError(join(target, vectors), `holds ${store.size} vectors for ${own.length} memories of "${userId}"${missing ? ` (none for ${missing.id})` : ''}`);
      }
      for (const restored of own) memory.index(partition, restored as Memory);
    }
    return memory;
  }

  /** The query's embedding, remembered per embedder id (a refitted HashingEmbedder gets a new id). */
  private queryVector(query: string): Promise<Float32Array> {
    const key = `${this.embedder.id}\u0000${query}`;
    const vector = this.queryVectors.get(key, async () => (await this.embedder.embed([query]))[0]!);
    // A failed embedding is not remembered: the next search asks the embedder again.
    vector.catch(() => this.queryVectors.delete(key));
    return vector;
  }

  private memoryOf(id: string): Memory | undefined {
    const userId = this.owners.get(id);
    return userId === undefined ? undefined : this.partitions.get(userId)?.memories.get(id);
  }

  private partitionOf(userId: string, store?: VectorStore, documents: readonly Memory[] = []): Partition {
    let partition = this.partitions.get(userId);
    if (!partition) {
      const vectors = store ?? new ExactVectorStore(identityOf(this.embedder));
      const texts = documents.map((m) => ({ id: m.id, text: m.content }));
      partition = { memories: new Map(), index: new HybridIndex(vectors, this.fusion, texts), contents: new Map(), positions: new Map() };
      this.partitions.set(userId, partition);
    }
    return partition;
  }

  private storeOne(input: ParsedInput, vector: Float32Array): StoreResult {
    const partition = this.partitionOf(input.userId);
    const duplicate = this.duplicateOf(partition, input.content, vector);
    const now = this.now().toISOString();
    const createdAt = input.createdAt ?? now;
    if (duplicate) {
      this.unindex(partition, duplicate);
      const merged = mergeDuplicate(duplicate, input, createdAt, now);
      this.index(partition, merged, vector);
      return { memory: copyOf(merged), action: 'updated' };
    }
    const memory: Memory = { id: `m${this.nextId++}`, ...input, createdAt, updatedAt: now };
    this.owners.set(memory.id, memory.userId);
    this.index(partition, memory, vector);
    if (partition.memories.size > this.settings.hnswThreshold) this.moveToHnsw(partition);
    return { memory: copyOf(memory), action: 'added' };
  }

  private duplicateOf(partition: Partition, content: string, vector: Float32Array): Memory | undefined {
    const same = partition.contents.get(contentKey(content));
    if (same !== undefined) return partition.memories.get(same);
    if (partition.memories.size === 0 || this.settings.dedupThreshold > 1) return undefined;
    const store = partition.index.vectorStore;
    const [nearest] = store instanceof HnswVectorStore ? store.searchAt(DEDUP_EF, vector, 1) : store.search(vector, 1);
    return nearest && nearest.similarity >= this.settings.dedupThreshold ? partition.memories.get(nearest.id) : undefined;
  }

  /** Registers a memory in its partition's maps; with a vector, (re)indexes its text and vector too. */
  private index(partition: Partition, memory: Memory, vector?: Float32Array): void {
    partition.memories.set(memory.id, memory);
    this.owners.set(memory.id, memory.userId);
    partition.contents.set(contentKey(memory.content), memory.id);
    const key = positionKey(memory.metadata);
    if (key !== undefined) partition.positions.set(key, memory.id);
    if (vector) partition.index.add([{ id: memory.id, text: memory.content, vector }]);
  }

  private unindex(partition: Partition, memory: Memory): void {
    partition.memories.delete(memory.id);
    const content = contentKey(memory.content);
    if (partition.contents.get(content) === memory.id) partition.contents.delete(content);
    const key = positionKey(memory.metadata);
    if (key !== undefined && partition.positions.get(key) === memory.id) partition.positions.delete(key);
  }

  /** Moves a partition from exact search to HNSW (once), with the vectors its store holds. */
  private moveToHnsw(partition: Partition): void {
    const current = partition.index.vectorStore;
    if (current instanceof HnswVectorStore) return;
    const memories = [...partition.memories.values()];
    const store = new HnswVectorStore({ ...identityOf(this.embedder), efConstruction: MEMORY_EF_CONSTRUCTION, initialCapacity: Math.max(1024, memories.length) });
    partition.index.moveVectors(store, memories.map((m) => ({ id: m.id, vector: current.vectorOf!(m.id)! })));
  }
}

type ParsedInput = MemoryDraft;

function missing(id: string): never {
  throw new InputError(`no memory with id "${id}"`, 'pass an id returned by store() or search()');
}

function parseInput(input: unknown): ParsedInput {
  const parsed = inputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = firstIssue(input, parsed.error);
    throw new InputError(`invalid memory: ${issue.key} = ${JSON.stringify(issue.value)} ${issue.problem}`, 'pass userId, content, type, and optionally importance (0..1), createdAt and metadata');
  }
  const { createdAt, ...rest } = parsed.data;
  return { ...rest, ...(createdAt === undefined ? {} : { createdAt: new Date(createdAt).toISOString() }) };
}

function acceptor({ types, timeRange, minImportance = 0 }: MemorySearchOptions): (memory: Memory) => boolean {
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
