import { z } from 'zod';
import { ConfigError, CtxbenchError, describeValue, InputError } from '../errors.js';
import { firstIssue } from '../validation.js';
import { assertSameEmbedder, type EmbeddedVectorRecord, type EmbedderIdentity } from './embedding.js';
import type { VectorFilter, VectorHit } from './types.js';

/** The metadata a filter sees: frozen, so a filter cannot change the store. */
export type VectorMetadata = Readonly<Record<string, string | number | boolean>>;

/** A caller's filter threw during a search; the search was abandoned and the store is unchanged. */
export class VectorFilterError extends CtxbenchError {
  constructor(cause: unknown) {
    super('E_VECTOR_FILTER', `the search filter threw: ${cause instanceof Error ? cause.message : String(cause)}`, 'make the filter return a boolean for every metadata object');
    this.cause = cause;
  }
}

/** Orders hits best first: higher similarity, then id ascending (code-unit order, locale-free). */
export function compareHits(a: VectorHit, b: VectorHit): number {
  return b.similarity - a.similarity || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Keeps the best `k` hits offered, in a min-heap whose root is the worst kept. */
export class TopHits {
  private readonly heap: VectorHit[] = [];

  constructor(private readonly k: number) {}

  /** Whether a hit of this similarity could be kept: false only when it is worse than every kept hit of a full heap. */
  admits(similarity: number): boolean {
    return this.heap.length < this.k || (this.k > 0 && similarity >= this.heap[0]!.similarity);
  }

  offer(id: string, similarity: number): void {
    const heap = this.heap;
    if (heap.length < this.k) {
      heap.push({ id, similarity });
      this.siftUp(heap.length - 1);
    } else if (this.admits(similarity)) {
      const hit = { id, similarity };
      if (compareHits(hit, heap[0]!) >= 0) return;
      heap[0] = hit;
      this.siftDown(0);
    }
  }

  /** The kept hits, best first. */
  sorted(): VectorHit[] {
    return [...this.heap].sort(compareHits);
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    for (let child = index; child > 0; ) {
      const parent = (child - 1) >> 1;
      if (compareHits(heap[child]!, heap[parent]!) <= 0) return;
      [heap[child], heap[parent]] = [heap[parent]!, heap[child]!];
      child = parent;
    }
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    for (let parent = index; ; ) {
      let worst = parent;
      for (const child of [2 * parent + 1, 2 * parent + 2]) {
        if (child < heap.length && compareHits(heap[child]!, heap[worst]!) > 0) worst = child;
      }
      if (worst === parent) return;
      [heap[worst], heap[parent]] = [heap[parent]!, heap[worst]!];
      parent = worst;
    }
  }
}

/**
 * Runs a caller's filter so that it never throws: native code (hnswlib's filter callback) aborts
 * the whole process on a JS exception. The first error is kept, every later call answers false,
 * and {@link rethrow} reports it once the search is back in JS.
 */
export class GuardedFilter {
  private failure: { cause: unknown } | undefined;

  constructor(private readonly filter: VectorFilter) {}

  test(metadata: VectorMetadata): boolean {
    if (this.failure) return false;
    try {
      return Boolean(this.filter(metadata));
    } catch (cause) {
      this.failure = { cause };
      return false;
    }
  }

  /** Throws a {@link VectorFilterError} if the filter threw. */
  rethrow(): void {
    if (this.failure) throw new VectorFilterError(this.failure.cause);
  }
}

/** Checks a batch before anything is added, so a bad record leaves the store unchanged. */
export function checkRecords(records: readonly EmbeddedVectorRecord[], store: EmbedderIdentity): void {
  for (const [i, record] of records.entries()) {
    const where = `record ${i} (id ${describeValue(record?.id)})`;
    if (typeof record?.id !== 'string' || record.id === '') throw new InputError(`${where}: id must be a non-empty string`);
    checkVector(record.vector, store, where, record.embedderId);
    for (const [key, value] of Object.entries(record.metadata ?? {})) {
      const ok = typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
      if (!ok) throw new InputError(`${where}: metadata.${key} must be a string, a finite number or a boolean, got ${describeValue(value)}`);
    }
  }
}

/** Checks a query vector and k. */
export function checkQuery(vector: Float32Array, k: number, store: EmbedderIdentity): void {
  checkVector(vector, store, 'the query');
  if (!Number.isInteger(k) || k < 1) throw new InputError(`k must be a positive integer, got ${describeValue(k)}`);
}

function checkVector(vector: Float32Array, store: EmbedderIdentity, where: string, embedderId = store.embedderId): void {
  if (!(vector instanceof Float32Array)) throw new InputError(`${where}: vector must be a Float32Array, got ${describeValue(vector)}`, 'use the output of an Embedder');
  assertSameEmbedder(store, { embedderId, dimension: vector.length }, where);
  if (!vector.every(Number.isFinite)) throw new InputError(`${where}: vector contains NaN or an infinite value`);
}

/** A frozen copy of a record's metadata. */
export function frozenMetadata(metadata: VectorMetadata | undefined): VectorMetadata {
  return Object.freeze({ ...metadata });
}

/** The options every store takes: whose vectors it holds, and room to make before the first growth. */
export const storeOptionsShape = {
  embedderId: z.string().min(1),
  dimension: z.number().int().min(1).max(1 << 20),
  initialCapacity: z.number().int().min(1),
};

/** Parses a store's options, or throws a ConfigError naming the store, the key and the value. */
export function parseStoreOptions<T>(schema: z.ZodType<T>, options: unknown, store: string): T {
  const parsed = schema.safeParse(options);
  if (parsed.success) return parsed.data;
  const issue = firstIssue(options, parsed.error);
  throw new ConfigError(
    `${store} option ${issue.key} ${issue.problem} (got ${describeValue(issue.value)})`,
    'embedderId is the id of the embedder whose vectors the store holds; dimension, initialCapacity, m, ef and efConstruction are positive integers',
  );
}
