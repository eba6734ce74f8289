import { z } from 'zod';
import { ConfigError, InputError } from '../errors.js';
import { firstIssue } from '../validation.js';
import { assertSameEmbedder, identityOf } from './embedding.js';
import type { FusionOptions } from './hybrid.js';
import { hnswThresholdSchema, InProcessMemoryStore } from './in-process-store.js';
import { inputSchema } from './long-term-format.js';
import type { MemoryDraft, MemoryStore } from './memory-store.js';
import { QueryCache } from './query-cache.js';
import { MemoryScorer, type ScoreParts, type ScoringWeights } from './scoring.js';
import type { Embedder, Memory, MemoryType } from './types.js';

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
  /** The default store's {@link InProcessStoreOptions.hnswThreshold}; a store passed in keeps its own. @default 2000 */
  hnswThreshold?: number;
  /** How lexical and dense rankings are fused. @default DEFAULT_MEMORY_FUSION */
  fusion?: FusionOptions;
  /** Where {@link LongTermMemory.save} writes by default. */
  directory?: string;
  /** Where memories live: a {@link PostgresMemoryStore} when they must outlive the process or be shared. @default a new InProcessMemoryStore */
  store?: MemoryStore;
}

const optionsSchema = z.object({
  dedupThreshold: z.number().gt(0, 'must be a cosine similarity above 0').max(1.01, 'must be at most 1 (or just above, to turn dedup off)').default(0.9),
  hnswThreshold: hnswThresholdSchema,
});

/** The default fusion: max-normalized BM25 and cosine scores, lexical weighted 2:1 (on LoCoMo at 1,764 tokens: 0.83 evidence recall, RRF 0.80). */
export const DEFAULT_MEMORY_FUSION: Readonly<FusionOptions> = Object.freeze({ method: 'convex', weights: [1, 0.5] });

/**
 * Long-term memory of many users: store, search, update, delete, forget a user, save and open.
 * The same layer over any {@link MemoryStore}: it validates input, embeds texts, deduplicates
 * through the store, and scores hits by {@link MemoryScorer}; the store keeps users partitioned,
 * so a search for one user can never return another's memory. A new memory that is a
 * near-duplicate of one of the same user (same normalized text, or cosine >= `dedupThreshold`)
 * updates that memory instead. Without a store, memories live in an {@link InProcessMemoryStore}.
 */
export class LongTermMemory {
  readonly scorer: MemoryScorer;
  readonly embedder: Embedder;
  readonly directory: string | undefined;
  private readonly backend: MemoryStore;
  private readonly settings: z.infer<typeof optionsSchema>;
  private readonly fusion: FusionOptions;
  /** Query embeddings, shared by repeated searches for the same text (a query vector is never mutated). */
  private readonly queryVectors = new QueryCache<Promise<Float32Array>>();

  /** @throws ConfigError naming the option, its value and the fix; EmbedderMismatchError for a store of another embedder. */
  constructor(options: LongTermMemoryOptions) {
    const { embedder, now, halfLifeDays, weights, fusion, directory, store } = options;
    this.settings = settingsOf(options);
    this.embedder = embedder;
    this.scorer = new MemoryScorer({ now, halfLifeDays, weights });
    this.fusion = fusion ?? DEFAULT_MEMORY_FUSION;
    this.directory = directory;
    if (store) assertSameEmbedder(identityOf(embedder), store.embedder, `${store.name} memory store`);
    this.backend = store ?? new InProcessMemoryStore({ embedder: identityOf(embedder), hnswThreshold: this.settings.hnswThreshold });
  }

  /** The memory's clock. */
  now(): Date {
    return this.scorer.now();
  }

  /** How many memories are stored, for one user or for all. */
  count(userId?: string): Promise<number> {
    return this.backend.count(userId);
  }

  /** The users with at least one memory, sorted. */
  users(): Promise<string[]> {
    return this.backend.users();
  }

  get(id: string): Promise<Memory | undefined> {
    return this.backend.get(id);
  }

  /** A user's memories, oldest first. */
  list(userId: string): Promise<Memory[]> {
    return this.backend.list(userId);
  }

  /** The memories at positions up to `radius` before and after this one in its thread (metadata.thread, metadata.position), nearest first. */
  neighbours(id: string, radius = 1): Promise<Memory[]> {
    return this.backend.neighbours(id, radius);
  }

  /** Stores one memory, or merges it into a near-duplicate of the same user. @throws InputError for malformed input. */
  async store(input: MemoryInput): Promise<StoreResult> {
    return (await this.storeMany([input]))[0]!;
  }

  /**
   * Stores memories in order, as the same store() calls one by one would: each may merge into an
   * earlier one, of this batch too. A bulk load costs one embedding call and one write to the
   * store, which checks duplicates in bulk (see each store's `add`).
   */
  async storeMany(inputs: readonly MemoryInput[]): Promise<StoreResult[]> {
    const parsed = inputs.map(parseInput);
    if (parsed.length === 0) return [];
    const vectors = await this.embedder.embed(parsed.map((input) => input.content));
    return this.backend.add(parsed.map((draft, i) => ({ draft, vector: vectors[i]! })), { dedupThreshold: this.settings.dedupThreshold, now: this.now().toISOString() });
  }

  /** The user's best `k` memories for `query`, best first (ties by id). Filters apply inside the search. */
  search(query: string, options: MemorySearchOptions): Promise<MemoryHit[]> {
    return this.backend.search({ text: query, vector: () => this.queryVector(query) }, options, { scorer: this.scorer, fusion: this.fusion });
  }

  /** Changes a memory; a new content is re-embedded. @throws InputError for an unknown id or a malformed patch. */
  async update(id: string, patch: Partial<Pick<Memory, 'content' | 'type' | 'importance' | 'createdAt' | 'metadata'>>): Promise<Memory> {
    const memory = await this.backend.get(id);
    if (!memory) return missing(id);
    const next = parseInput({ ...memory, ...patch });
    const vector = patch.content === undefined ? undefined : (await this.embedder.embed([next.content]))[0];
    return (await this.backend.update(id, next, vector, this.now().toISOString())) ?? missing(id);
  }

  delete(id: string): Promise<boolean> {
    return this.backend.delete(id);
  }

  /** Deletes every memory of a user; returns how many went. */
  forgetUser(userId: string): Promise<number> {
    return this.backend.forgetUser(userId);
  }

  /**
   * Saves an in-process store to `directory` (default: the configured one) as a new generation
   * ({@link InProcessMemoryStore.save}): a crash at any point leaves the last saved generation loadable.
   */
  save(directory = this.directory): void {
    if (!(this.backend instanceof InProcessMemoryStore)) throw new ConfigError(`long-term memory in a ${this.backend.name} store has nothing to save`, 'leave save() out: the store commits every write');
    if (directory === undefined) throw new ConfigError('long-term memory has no directory to save to', 'pass one to save() or as the directory option');
    this.backend.save(directory);
  }

  /**
   * Opens a memory saved with {@link save}; a directory never saved to opens empty.
   * @throws CorruptStoreError for an unreadable or inconsistent save; VectorStoreError for a vector store of another embedder.
   */
  static open(directory: string, options: Omit<LongTermMemoryOptions, 'directory'>): LongTermMemory {
    if (options.store) throw new ConfigError(`long-term memory in a ${options.store.name} store is not opened from a directory`, 'pass the store to new LongTermMemory() instead');
    const store = InProcessMemoryStore.open(directory, { embedder: identityOf(options.embedder), hnswThreshold: settingsOf(options).hnswThreshold });
    return new LongTermMemory({ ...options, directory, store });
  }

  /** The query's embedding, remembered per embedder id (a refitted HashingEmbedder gets a new id). */
  private queryVector(query: string): Promise<Float32Array> {
    const key = `${this.embedder.id}\u0000${query}`;
    const vector = this.queryVectors.get(key, async () => (await this.embedder.embed([query]))[0]!);
    // A failed embedding is not remembered: the next search asks the embedder again.
    vector.catch(() => this.queryVectors.delete(key));
    return vector;
  }
}

/** @throws ConfigError naming the option, its value and the fix. */
function settingsOf({ dedupThreshold, hnswThreshold }: Omit<LongTermMemoryOptions, 'directory'>): z.infer<typeof optionsSchema> {
  const settings = { dedupThreshold, hnswThreshold };
  const parsed = optionsSchema.safeParse(settings);
  if (parsed.success) return parsed.data;
  const issue = firstIssue(settings, parsed.error);
  throw new ConfigError(`invalid long-term memory option: ${issue.key} = ${JSON.stringify(issue.value)} ${issue.problem}`, 'leave it out for the default or pass a value in range');
}

function missing(id: string): never {
  throw new InputError(`no memory with id "${id}"`, 'pass an id returned by store() or search()');
}

function parseInput(input: unknown): MemoryDraft {
  const parsed = inputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = firstIssue(input, parsed.error);
    throw new InputError(`invalid memory: ${issue.key} = ${JSON.stringify(issue.value)} ${issue.problem}`, 'pass userId, content, type, and optionally importance (0..1), createdAt and metadata');
  }
  const { createdAt, ...rest } = parsed.data;
  return { ...rest, ...(createdAt === undefined ? {} : { createdAt: new Date(createdAt).toISOString() }) };
}
