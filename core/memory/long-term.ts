import { z } from 'zod';
import { ConfigError, InputError } from '../errors.js';
import { assertSameEmbedder, identityOf } from './embedding.js';
import type { FusionOptions } from './hybrid.js';
import { hnswThresholdSchema, InProcessMemoryStore } from './in-process-store.js';
import { inputSchema } from './long-term-format.js';
import type { MemoryDraft, MemoryPatch, MemoryStore } from './memory-store.js';
import { jsonProblem, parseOrThrow, shown, storedJson, userIdSchema, wellFormedText } from './options.js';
import { QueryCache } from './query-cache.js';
import { MemoryScorer, type ScoreParts, type ScoringWeights } from './scoring.js';
import { MEMORY_TYPES, type Embedder, type Memory, type MemoryType } from './types.js';

/** What {@link LongTermMemory.store} takes. */
export interface MemoryInput {
  userId: string;
  content: string;
  type: MemoryType;
  /** 0..1 @default 0.5 */
  importance?: number;
  /** When it happened: an ISO 8601 date or date-time (`2024-05-01`, `2024-05-01T09:30:00Z`) or a Date. @default now() */
  createdAt?: string | Date;
  /**
   * Free-form data (copied when stored: later changes to the caller's object do not reach the
   * memory); `thread` (string) and `position` (number) mark a memory as one turn of a
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
  /** Most hits returned: a whole number; 0 returns no hits. @default 10 */
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

const OPTION_KEYS = ['embedder', 'now', 'halfLifeDays', 'weights', 'dedupThreshold', 'hnswThreshold', 'fusion', 'directory', 'store'];
const FUSION_KEYS = ['method', 'k', 'weights'];
const fusionSchema = z.strictObject({
  method: z.enum(['rrf', 'convex'], { error: 'must be "rrf" or "convex"' }).optional(),
  k: z.number('must be a positive number').positive('must be above 0').optional(),
  weights: z
    .array(z.number('must be a finite number').min(0, 'must be 0 or more'), 'must be an array of weights [lexical, dense]')
    .max(2, 'has one weight per ranking: [lexical, dense]')
    .refine((weights) => weights.length === 0 || weights.some((weight) => weight > 0), 'must not all be 0 (relevance would always be 0)')
    .optional(),
});
// Keys checked by the scorer (now, halfLifeDays, weights), the store, or only passed on (embedder, directory) are known here too.
const optionsSchema = z.strictObject({
  embedder: z.custom<Embedder>((value) => value !== null && typeof value === 'object', 'must be an Embedder'),
  now: z.custom<() => Date>((value) => typeof value === 'function', 'must be a function returning a Date').optional(),
  halfLifeDays: z.unknown().optional(),
  weights: z.unknown().optional(),
  dedupThreshold: z.number().gt(0, 'must be a cosine similarity above 0').max(1.01, 'must be at most 1 (or just above, to turn dedup off)').default(0.9),
  hnswThreshold: hnswThresholdSchema,
  fusion: fusionSchema.optional(),
  directory: z.string('must be a directory path').optional(),
  store: z.unknown().optional(),
});

/** Years every store keeps (PostgreSQL has no year 0; ISO strings past 9999 need a sign). */
const inYears = (date: Date) => date.getUTCFullYear() >= 1 && date.getUTCFullYear() <= 9999;
/** ISO 8601: a date, or a date-time with an optional zone (Date.parse alone reads "5" as 2001-05-01). */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
const isoDate = z.union([
  z.date().refine((date) => !Number.isNaN(date.getTime()) && inYears(date), 'must be a valid Date in the years 1 to 9999'),
  z.string().refine((text) => ISO_8601.test(text) && !Number.isNaN(Date.parse(text)) && inYears(new Date(text)), 'must be an ISO 8601 date or date-time in the years 1 to 9999, e.g. 2024-05-01 or 2024-05-01T09:30:00Z'),
], { error: 'must be an ISO 8601 date or date-time, or a Date' });
const INPUT_KEYS = ['userId', 'content', 'type', 'importance', 'createdAt', 'metadata'];
// Half a character or a NUL becomes U+FFFD in every store, as PostgreSQL would store the first.
const storedText = z
  .string()
  .refine((text) => text.trim() !== '', 'must not be blank')
  .transform(wellFormedText);
const storeSchema = inputSchema.extend({ userId: userIdSchema, content: storedText, createdAt: isoDate.optional() }).strict();
const SEARCH_KEYS = ['userId', 'k', 'types', 'timeRange', 'minImportance', 'now'];
const searchSchema = z.strictObject({
  userId: userIdSchema,
  k: z.number('must be a whole number, 0 or more').int('must be a whole number, 0 or more').min(0, 'must be a whole number, 0 or more').optional(),
  types: z.array(z.enum(MEMORY_TYPES as [MemoryType, ...MemoryType[]], { error: `must be a memory type: ${MEMORY_TYPES.join(', ')}` }), 'must be an array of memory types').optional(),
  timeRange: z.strictObject({ from: isoDate.optional(), to: isoDate.optional() }, 'must be { from?, to? }').optional(),
  minImportance: z.number('must be a number between 0 and 1').min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').optional(),
  now: z.date('must be a Date').refine((date) => !Number.isNaN(date.getTime()), 'must be a valid Date').optional(),
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
  private readonly settings: { dedupThreshold: number; hnswThreshold: number };
  private readonly fusion: FusionOptions;
  /** Query embeddings, shared by repeated searches for the same text (a query vector is never mutated). */
  private readonly queryVectors = new QueryCache<Promise<Float32Array>>();

  /** @throws ConfigError naming the option, its value and the fix; EmbedderMismatchError for a store of another embedder. */
  constructor(options: LongTermMemoryOptions) {
    const { embedder, now, halfLifeDays, weights, fusion, directory, store } = options;
    this.settings = settingsOf(options);
    this.embedder = embedder;
    this.scorer = new MemoryScorer({ now, halfLifeDays, weights });
    this.fusion = fusion ? { ...fusion, ...(fusion.weights ? { weights: [...fusion.weights] } : {}) } : DEFAULT_MEMORY_FUSION;
    this.directory = directory;
    if (store) assertSameEmbedder(identityOf(embedder), store.embedder, `${store.name} memory store`);
    this.backend = store ?? new InProcessMemoryStore({ embedder: identityOf(embedder), hnswThreshold: this.settings.hnswThreshold });
  }

  /** The memory's clock. */
  now(): Date {
    return this.scorer.now();
  }

  /** How many memories are stored, for one user or for all. */
  async count(userId?: string): Promise<number> {
    if (userId !== undefined) checkUserId(userId, 'count');
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
  async list(userId: string): Promise<Memory[]> {
    checkUserId(userId, 'list');
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
    // Every input is checked before anything is embedded or written; an error names the bad one.
    const parsed = inputs.map((input, index) => {
      try {
        return parseInput(input);
      } catch (error) {
        if (error instanceof InputError && inputs.length > 1) throw new InputError(`memory ${index} of ${inputs.length}: ${error.message.split('\n  fix: ')[0]}`, error.hint);
        throw error;
      }
    });
    if (parsed.length === 0) return [];
    const vectors = await this.embedder.embed(parsed.map((input) => input.content));
    return this.backend.add(parsed.map((draft, i) => ({ draft, vector: vectors[i]! })), { dedupThreshold: this.settings.dedupThreshold, now: this.now().toISOString() });
  }

  /**
   * The user's best `k` memories for `query`, best first (ties by id); `k: 0` finds none. Filters apply inside the search.
   * @throws InputError naming the option for an unknown key, a k that is not a whole number 0 or more, an unknown type, a timeRange bound that is not an ISO 8601 date, a minImportance outside 0..1 or an invalid now.
   */
  async search(query: string, options: MemorySearchOptions): Promise<MemoryHit[]> {
    if (typeof query !== 'string') throw new InputError(`invalid memory search: query = ${shown(query)} must be a string`, 'pass the search text');
    parseOrThrow(searchSchema, options, {
      what: 'invalid memory search option',
      hint: `pass { userId, k? (whole number, 0 or more), types? (${MEMORY_TYPES.join(', ')}), timeRange? { from?, to? } (ISO 8601 dates), minImportance? (0..1), now? (a valid Date) }`,
      error: InputError,
      known: { '': SEARCH_KEYS, timeRange: ['from', 'to'] },
    });
    return this.backend.search({ text: query, vector: () => this.queryVector(query) }, options, { scorer: this.scorer, fusion: this.fusion });
  }

  /** Changes a memory; a new content is re-embedded. @throws InputError for an unknown id or a malformed patch. */
  async update(id: string, patch: Partial<Pick<Memory, 'content' | 'type' | 'importance' | 'createdAt' | 'metadata'>>): Promise<Memory> {
    if (patch !== null && typeof patch === 'object' && 'userId' in patch) {
      throw new InputError(`invalid memory update: userId cannot change (got ${shown((patch as { userId: unknown }).userId)})`, 'store the memory again for the other user and delete this one');
    }
    const memory = await this.backend.get(id);
    if (!memory) return missing(id);
    const { id: _id, updatedAt: _updatedAt, ...fields } = memory;
    // Checked as the whole memory it makes, written as the patch alone: the store changes only
    // these fields, so another server's change to the others meanwhile is not undone.
    const next = parseInput({ ...fields, ...patch });
    const changed: MemoryPatch = Object.fromEntries(PATCH_KEYS.filter((key) => key in patch).map((key) => [key, next[key]]));
    const vector = patch.content === undefined ? undefined : (await this.embedder.embed([next.content]))[0];
    return (await this.backend.update(id, changed, vector, this.now().toISOString())) ?? missing(id);
  }

  delete(id: string): Promise<boolean> {
    return this.backend.delete(id);
  }

  /** Deletes every memory of a user; returns how many went. */
  async forgetUser(userId: string): Promise<number> {
    checkUserId(userId, 'forgetUser');
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
function settingsOf(options: Omit<LongTermMemoryOptions, 'directory'>): { dedupThreshold: number; hnswThreshold: number } {
  const { dedupThreshold, hnswThreshold } = parseOrThrow(optionsSchema, options, {
    what: 'invalid long-term memory option',
    hint: 'leave it out for the default or pass a value in range (fusion: method "rrf" or "convex", k above 0, weights [lexical, dense] each 0 or more and not all 0)',
    error: ConfigError,
    known: { '': OPTION_KEYS, fusion: FUSION_KEYS },
  });
  return { dedupThreshold, hnswThreshold };
}

/** @throws InputError when `userId` is not one the memory classes take (a PostgreSQL store would read 42 as "42"). */
function checkUserId(userId: unknown, method: string): void {
  const parsed = userIdSchema.safeParse(userId);
  if (!parsed.success) throw new InputError(`invalid ${method}(userId): userId = ${shown(userId)} ${parsed.error.issues[0]!.message}`, 'pass the user id the memories were stored with');
}

const PATCH_KEYS = ['content', 'type', 'importance', 'createdAt', 'metadata'] as const;

function missing(id: string): never {
  throw new InputError(`no memory with id "${id}"`, 'pass an id returned by store() or search()');
}

function parseInput(input: unknown): MemoryDraft {
  const { createdAt, metadata, ...rest } = parseOrThrow(storeSchema, input, {
    what: 'invalid memory',
    hint: `pass userId, content, type (${MEMORY_TYPES.join(', ')}), and optionally importance (0..1), createdAt (ISO 8601 date or date-time, or a Date) and metadata`,
    error: InputError,
    known: { '': INPUT_KEYS },
  });
  // Every store keeps metadata as JSON (PostgreSQL as jsonb), so it must be JSON data to begin with.
  const problem = jsonProblem(metadata, 'metadata');
  if (problem) throw new InputError(`invalid memory: ${problem[0]} ${problem[1]}`, 'pass plain data in metadata: strings, finite numbers, booleans, null, arrays, plain objects and Dates (stored as ISO strings)');
  // A copy, as JSON: the caller's later edits must not change the stored memory, and -0 is 0 in every store.
  const copied = storedJson(metadata) as Record<string, unknown>;
  return { ...rest, metadata: copied, ...(createdAt === undefined ? {} : { createdAt: new Date(createdAt).toISOString() }) };
}
