/** The three kinds of long-term memory of the lab design. */
export type MemoryType = 'episodic' | 'semantic' | 'procedural';
export const MEMORY_TYPES: readonly MemoryType[] = ['episodic', 'semantic', 'procedural'];

/** One long-term memory of one user. */
export interface Memory {
  id: string;
  userId: string;
  content: string;
  type: MemoryType;
  /** 0..1 */
  importance: number;
  /** When the remembered thing happened or was said (ISO 8601). */
  createdAt: string;
  updatedAt: string;
  metadata: Record<string, unknown>;
}

/** Turns texts into vectors. Vectors carry the embedder's id and dimension; stores refuse to mix them. */
export interface Embedder {
  /** Stable identity, e.g. `hashing-tfidf-v1:512` or `openai:text-embedding-3-small`. */
  readonly id: string;
  readonly dimension: number;
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

/** A vector with its id and the metadata filters look at. */
export interface VectorRecord {
  id: string;
  vector: Float32Array;
  metadata: Record<string, string | number | boolean>;
}

/** A nearest-neighbour hit: cosine similarity in [-1, 1], higher is closer. */
export interface VectorHit {
  id: string;
  similarity: number;
}

/** A metadata filter applied inside the search (never by over-fetching). */
export type VectorFilter = (metadata: Readonly<Record<string, string | number | boolean>>) => boolean;

/** A vector index: add, delete, k-nearest search with filters, persistence. */
export interface VectorStore {
  readonly embedderId: string;
  readonly dimension: number;
  readonly size: number;
  add(records: readonly VectorRecord[]): void;
  delete(id: string): boolean;
  has(id: string): boolean;
  search(vector: Float32Array, k: number, filter?: VectorFilter): VectorHit[];
  /** The stored (unit-length) vector of an id, for stores that keep one; lets a collection move stores without re-embedding. */
  vectorOf?(id: string): Float32Array | undefined;
  /** Writes the store to a directory atomically (temp files + rename). */
  save(directory: string): void;
}
