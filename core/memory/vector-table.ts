import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { normalize } from './embedding.js';
import { parseStoreJson, VectorStoreError, type StoreFile, type StoreSnapshot } from './store-format.js';
import type { VectorHit, VectorRecord } from './types.js';
import { frozenMetadata, TopHits, type GuardedFilter, type VectorMetadata } from './vector-search.js';
import { dotAt, VectorRows } from './vector-rows.js';

const recordsSchema = z
  .object({ ids: z.array(z.string().min(1)), metadata: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))) })
  .refine((records) => records.ids.length === records.metadata.length, 'ids and metadata must have the same length')
  .refine((records) => new Set(records.ids).size === records.ids.length, 'ids must be unique');

/**
 * Unit-length vectors in one contiguous float32 matrix, with their ids and frozen metadata, and an
 * exact top-k scan over them. Deleting moves the last vector into the hole, so slots stay dense.
 * Both stores keep their vectors here: the exact store searches it, the HNSW store scans it when a
 * filter passes few vectors (hnswlib's getPoint costs O(n) per call, so it cannot serve that).
 */
export class VectorTable {
  private readonly rows: VectorRows;
  private readonly ids: string[] = [];
  private readonly metadata: VectorMetadata[] = [];
  private readonly slots = new Map<string, number>();

  constructor(
    readonly dimension: number,
    initialCapacity: number,
  ) {
    this.rows = new VectorRows(dimension, Math.max(1, initialCapacity));
  }

  get size(): number {
    return this.ids.length;
  }

  has(id: string): boolean {
    return this.slots.has(id);
  }

  /** The frozen metadata of an id, or undefined when the id is not here. */
  metadataOf(id: string): VectorMetadata | undefined {
    const slot = this.slots.get(id);
    return slot === undefined ? undefined : this.metadata[slot];
  }

  /** The ids in slot order (the order they are saved in). */
  idsInOrder(): readonly string[] {
    return this.ids;
  }

  /** Adds a record, or replaces the vector and metadata of an id already here. */
  put(record: VectorRecord): void {
    let slot = this.slots.get(record.id);
    if (slot === undefined) {
      slot = this.ids.length;
      this.grow(slot + 1);
      this.ids.push(record.id);
      this.metadata.push(frozenMetadata(record.metadata));
      this.slots.set(record.id, slot);
    } else {
      this.metadata[slot] = frozenMetadata(record.metadata);
    }
    const vector = normalize(record.vector);
    this.rows.floats.set(vector, slot * this.dimension);
  }

  remove(id: string): boolean {
    const slot = this.slots.get(id);
    if (slot === undefined) return false;
    const last = this.ids.length - 1;
    if (slot !== last) {
      this.rows.floats.copyWithin(slot * this.dimension, last * this.dimension, (last + 1) * this.dimension);
      this.ids[slot] = this.ids[last]!;
      this.metadata[slot] = this.metadata[last]!;
      this.slots.set(this.ids[slot]!, slot);
    }
    this.ids.pop();
    this.metadata.pop();
    this.slots.delete(id);
    return true;
  }

  /** The `k` most similar vectors passing `guard`, best first, ties by id. */
  scan(vector: Float32Array, k: number, guard?: GuardedFilter): VectorHit[] {
    const query = normalize(vector);
    const top = new TopHits(k);
    if (guard) {
      // A filter that passes few rows (why HNSW sends it here) skips the rest's products.
      const floats = this.rows.floats;
      for (let slot = 0; slot < this.ids.length; slot++) {
        if (!guard.test(this.metadata[slot]!)) continue;
        const dot = dotAt(floats, slot * this.dimension, query);
        if (top.admits(dot)) top.offer(this.ids[slot]!, dot);
      }
      return top.sorted();
    }
    const { slots, dots } = this.rows.nearest(query, this.ids.length, k);
    for (let i = 0; i < slots.length; i++) {
      const dot = dots[i]!;
      if (top.admits(dot)) top.offer(this.ids[slots[i]!]!, dot);
    }
    return top.sorted();
  }

  /** The unit-length vector of an id (a copy), or undefined when the id is not here. */
  vectorOf(id: string): Float32Array | undefined {
    const slot = this.slots.get(id);
    return slot === undefined ? undefined : this.rows.floats.slice(slot * this.dimension, (slot + 1) * this.dimension);
  }

  /** The data files of the table: `vectors` (float32, slot order) and `records` (ids and metadata). */
  files(): StoreFile[] {
    const records = { ids: this.ids, metadata: this.metadata };
    // The view is taken at write time: the rows' memory may have moved since files() was called.
    const vectors = () => this.rows.floats.subarray(0, this.ids.length * this.dimension);
    return [
      { role: 'vectors', extension: 'f32', write: (path) => writeFileSync(path, bytesOf(vectors())) },
      { role: 'records', extension: 'json', write: (path) => writeFileSync(path, JSON.stringify(records)) },
    ];
  }

  /** A table from the `vectors` and `records` files of a verified snapshot. */
  static restore(snapshot: StoreSnapshot): VectorTable {
    const { manifest, directory } = snapshot;
    const records = parseStoreJson(snapshot, 'records', recordsSchema);
    const bytes = snapshot.read('vectors');
    if (records.ids.length !== manifest.count || bytes.length !== manifest.count * manifest.dimension * 4) {
      throw new VectorStoreError(directory, 'corrupt', `the manifest says ${manifest.count} ${manifest.dimension}-d vectors, the data files hold ${records.ids.length} ids and ${bytes.length} vector bytes`, 'rebuild the store');
    }
    const table = new VectorTable(manifest.dimension, manifest.count);
    table.rows.floats.set(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)));
    records.ids.forEach((id, slot) => {
      table.ids.push(id);
      table.metadata.push(frozenMetadata(records.metadata[slot]));
      table.slots.set(id, slot);
    });
    return table;
  }

  private grow(slots: number): void {
    if (slots > this.rows.capacity) this.rows.grow(Math.max(slots, 2 * this.rows.capacity));
  }
}

const bytesOf = (floats: Float32Array) => new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength);
