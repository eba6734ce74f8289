import { z } from 'zod';
import { assertSameEmbedder, type EmbeddedVectorRecord, type EmbedderIdentity } from './embedding.js';
import { HnswVectorStore } from './hnsw-store.js';
import { readStore, writeStore, type StoreSnapshot } from './store-format.js';
import type { VectorFilter, VectorHit, VectorStore } from './types.js';
import { checkQuery, checkRecords, GuardedFilter, parseStoreOptions, storeOptionsShape } from './vector-search.js';
import { VectorTable } from './vector-table.js';

/** Options of {@link ExactVectorStore}. */
export interface ExactStoreOptions extends EmbedderIdentity {
  /** Vectors to make room for before the first growth (capacity doubles as needed). @default 64 */
  initialCapacity?: number;
}

const optionsSchema = z.object(storeOptionsShape);

/**
 * Brute-force cosine search: exact, and for small collections (one user's memories: tens to
 * thousands of vectors) as fast as a graph or faster. Re-adding an id replaces its vector and metadata.
 */
export class ExactVectorStore implements VectorStore {
  readonly embedderId: string;
  readonly dimension: number;
  private table: VectorTable;

  constructor(options: ExactStoreOptions) {
    const { embedderId, dimension, initialCapacity } = parseStoreOptions(optionsSchema, { initialCapacity: 64, ...options }, 'ExactVectorStore');
    this.embedderId = embedderId;
    this.dimension = dimension;
    this.table = new VectorTable(dimension, initialCapacity);
  }

  get size(): number {
    return this.table.size;
  }

  add(records: readonly EmbeddedVectorRecord[]): void {
    checkRecords(records, this);
    for (const record of records) this.table.put(record);
  }

  delete(id: string): boolean {
    return this.table.remove(id);
  }

  has(id: string): boolean {
    return this.table.has(id);
  }

  vectorOf(id: string): Float32Array | undefined {
    return this.table.vectorOf(id);
  }

  /** The `k` most similar vectors among those passing `filter`, best first, ties by id. */
  search(vector: Float32Array, k: number, filter?: VectorFilter): VectorHit[] {
    checkQuery(vector, k, this);
    const guard = filter ? new GuardedFilter(filter) : undefined;
    const hits = this.table.scan(vector, k, guard);
    guard?.rethrow();
    return hits;
  }

  save(directory: string): void {
    writeStore(directory, { kind: 'exact', embedderId: this.embedderId, dimension: this.dimension, count: this.size }, this.table.files());
  }

  /** A store from a verified snapshot of a saved exact store. */
  static restore(snapshot: StoreSnapshot): ExactVectorStore {
    const { embedderId, dimension } = snapshot.manifest;
    const store = new ExactVectorStore({ embedderId, dimension, initialCapacity: 1 });
    store.table = VectorTable.restore(snapshot);
    return store;
  }
}

/** Options of {@link openVectorStore}. */
export interface OpenVectorStoreOptions {
  /** The embedder the caller will query with; a store of another embedder or dimension is refused. */
  expected?: EmbedderIdentity;
  /** HNSW only: the search breadth to use instead of the saved one. */
  ef?: number;
}

/**
 * Opens a saved store of either kind, after checking its manifest and checksums. A missing, corrupt
 * or mismatched store is a VectorStoreError naming the directory, never an empty store.
 */
export function openVectorStore(directory: string, options: OpenVectorStoreOptions = {}): ExactVectorStore | HnswVectorStore {
  const snapshot = readStore(directory);
  if (options.expected) assertSameEmbedder(options.expected, snapshot.manifest, `vector store ${directory}`);
  return snapshot.manifest.kind === 'exact' ? ExactVectorStore.restore(snapshot) : HnswVectorStore.restore(snapshot, options.ef);
}
