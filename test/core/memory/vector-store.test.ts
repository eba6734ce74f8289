import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, InputError } from '../../../core/errors.js';
import { EmbedderMismatchError } from '../../../core/memory/embedding.js';
import { HnswVectorStore } from '../../../core/memory/hnsw-store.js';
import type { VectorStore } from '../../../core/memory/types.js';
import { VectorFilterError } from '../../../core/memory/vector-search.js';
import { ExactVectorStore } from '../../../core/memory/vector-store.js';
import { clusteredRecords, clusteredVectors } from '../../support/vectors.js';

const identity = { embedderId: 'test-embedder:8', dimension: 8 };
const unit = (...values: number[]) => Float32Array.from({ length: 8 }, (_, i) => values[i] ?? 0);

/** Every store runs the same contract; the HNSW store also with its graph filter path forced. */
const kinds: [string, (options?: { initialCapacity?: number }) => VectorStore][] = [
  ['exact', (options) => new ExactVectorStore({ ...identity, ...options })],
  ['hnsw', (options) => new HnswVectorStore({ ...identity, ...options })],
  ['hnsw (graph filter path)', (options) => new HnswVectorStore({ ...identity, exactFilterRate: 0, ...options })],
];

describe.each(kinds)('%s store contract', (_, createStore) => {
  const filled = (count: number, options?: { initialCapacity?: number }) => {
    const store = createStore(options);
    store.add(clusteredRecords(count, clusteredVectors({ dimension: 8, clusters: 4, noise: 0.3, seed: 1 })));
    return store;
  };

  it('finds a stored vector as its own nearest neighbour with similarity 1', () => {
    const store = filled(50);
    const target = clusteredRecords(50, clusteredVectors({ dimension: 8, clusters: 4, noise: 0.3, seed: 1 }))[17]!;
    const [best] = store.search(target.vector, 1);
    expect(best!.id).toBe('v17');
    expect(best!.similarity).toBeCloseTo(1, 5);
  });

  it('orders hits by similarity, breaking ties by id', () => {
    const store = createStore();
    store.add([
      { id: 'b', vector: unit(1, 1), metadata: {} },
      { id: 'far', vector: unit(-1, 0.2), metadata: {} },
      { id: 'a', vector: unit(2, 2), metadata: {} },
      { id: 'near', vector: unit(1, 0.8), metadata: {} },
    ]);
    expect(store.search(unit(1, 1), 4).map((hit) => hit.id)).toEqual(['a', 'b', 'near', 'far']);
  });

  it('returns every vector when k exceeds the size, and nothing from an empty store', () => {
    expect(filled(5).search(unit(1), 10)).toHaveLength(5);
    expect(createStore().search(unit(1), 10)).toEqual([]);
  });

  it('replaces the vector and metadata when an id is added again', () => {
    const store = createStore();
    store.add([{ id: 'x', vector: unit(1), metadata: { userId: 'u1' } }]);
    store.add([{ id: 'x', vector: unit(0, 1), metadata: { userId: 'u2' } }]);
    expect(store.size).toBe(1);
    expect(store.search(unit(0, 1), 1)).toEqual([{ id: 'x', similarity: expect.closeTo(1, 5) }]);
    expect(store.search(unit(0, 1), 1, (metadata) => metadata.userId === 'u1')).toEqual([]);
  });

  it('deletes an id so that search no longer returns it, and reports unknown ids', () => {
    const store = filled(20);
    expect(store.delete('v3')).toBe(true);
    expect(store.delete('v3')).toBe(false);
    expect(store.has('v3')).toBe(false);
    expect(store.size).toBe(19);
    expect(store.search(unit(1), 20).map((hit) => hit.id)).not.toContain('v3');
  });

  it('gives a deleted id back when it is added again', () => {
    const store = filled(20);
    store.delete('v3');
    store.add([{ id: 'v3', vector: unit(0, 0, 1), metadata: {} }]);
    expect(store.search(unit(0, 0, 1), 1)[0]!.id).toBe('v3');
  });

  it('grows past its initial capacity', () => {
    const store = filled(300, { initialCapacity: 2 });
    expect(store.size).toBe(300);
    expect(store.search(unit(1), 300)).toHaveLength(300);
  });

  it('applies the filter inside the search: k hits, all passing', () => {
    const store = filled(200);
    const hits = store.search(unit(1, 1), 10, (metadata) => metadata.userId === 'u2');
    expect(hits).toHaveLength(10);
    expect(hits.every((hit) => Number(hit.id.slice(1)) % 5 === 2)).toBe(true);
  });

  it('turns a throwing filter into a VectorFilterError and stays usable', () => {
    const store = filled(50);
    const failing = () => {
      throw new Error('no such field');
    };
    expect(() => store.search(unit(1), 5, failing)).toThrow(VectorFilterError);
    expect(store.search(unit(1), 5)).toHaveLength(5);
  });

  it('refuses vectors of another dimension or embedder, leaving the store unchanged', () => {
    const store = filled(3);
    const good = { id: 'ok', vector: unit(1), metadata: {} };
    expect(() => store.add([good, { id: 'short', vector: new Float32Array(4), metadata: {} }])).toThrow(EmbedderMismatchError);
    expect(() => store.add([{ ...good, embedderId: 'openai:text-embedding-3-small' } as never])).toThrow(EmbedderMismatchError);
    expect(() => store.search(new Float32Array(16), 1)).toThrow(EmbedderMismatchError);
    expect(store.size).toBe(3);
    expect(store.has('ok')).toBe(false);
  });

  it('refuses malformed records and queries with an InputError', () => {
    const store = createStore();
    expect(() => store.add([{ id: '', vector: unit(1), metadata: {} }])).toThrow(InputError);
    expect(() => store.add([{ id: 'nan', vector: unit(Number.NaN), metadata: {} }])).toThrow(InputError);
    expect(() => store.add([{ id: 'meta', vector: unit(1), metadata: { nested: {} as never } }])).toThrow(/metadata.nested/);
    expect(() => store.add([{ id: 'array', vector: [1, 0, 0, 0, 0, 0, 0, 0] as never, metadata: {} }])).toThrow(/Float32Array/);
    expect(() => store.search(unit(1), 0)).toThrow(InputError);
  });

  it('hands filters frozen metadata, so a filter cannot change the store', () => {
    const store = filled(10);
    expect(() => store.search(unit(1), 3, (metadata) => ((metadata as Record<string, unknown>).userId = 'u9') === 'u9')).toThrow(VectorFilterError);
    expect(store.search(unit(1), 10, (metadata) => metadata.userId === 'u9')).toEqual([]);
  });
});

describe('per-user isolation (property)', () => {
  const record = fc.record({
    userId: fc.constantFrom('u1', 'u2', 'u3'),
    vector: fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: 8, maxLength: 8 }),
  });

  it.each(kinds)('a filter on userId never returns another user\'s vector (%s)', (_, createStore) => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 60 }), record, fc.integer({ min: 1, max: 20 }), (records, query, k) => {
        const store = createStore({ initialCapacity: 4 });
        store.add(records.map((r, i) => ({ id: `m${i}`, vector: Float32Array.from(r.vector), metadata: { userId: r.userId } })));
        const owner = new Map(records.map((r, i) => [`m${i}`, r.userId]));
        const hits = store.search(Float32Array.from(query.vector), k, (metadata) => metadata.userId === query.userId);
        const owned = records.filter((r) => r.userId === query.userId).length;
        expect(hits.every((hit) => owner.get(hit.id) === query.userId)).toBe(true);
        expect(hits.length).toBeLessThanOrEqual(Math.min(k, owned));
      }),
      { numRuns: 60 },
    );
  });
});

describe('HNSW store', () => {
  const next = clusteredVectors({ dimension: 64, clusters: 20, noise: 2, seed: 42 });
  const records = clusteredRecords(2000, next);
  const queries = Array.from({ length: 50 }, next);
  const recallAt10 = (store: VectorStore, truth: VectorStore) => {
    let found = 0;
    for (const query of queries) {
      const expected = new Set(truth.search(query, 10).map((hit) => hit.id));
      found += store.search(query, 10).filter((hit) => expected.has(hit.id)).length;
    }
    return found / (10 * queries.length);
  };

  it('reaches recall@10 >= 0.95 against exact search on 2,000 clustered 64-d vectors', () => {
    const exact = new ExactVectorStore({ embedderId: 'x', dimension: 64 });
    const hnsw = new HnswVectorStore({ embedderId: 'x', dimension: 64, initialCapacity: 256 });
    exact.add(records);
    hnsw.add(records);
    expect(recallAt10(hnsw, exact)).toBeGreaterThanOrEqual(0.95);
  });

  it('survives a filter that throws inside the native graph search', () => {
    const store = new HnswVectorStore({ ...identity, exactFilterRate: 0 });
    store.add(clusteredRecords(500, clusteredVectors({ dimension: 8, clusters: 4, noise: 0.3, seed: 3 })));
    let calls = 0;
    // The throw comes from hnswlib's callback, which would abort Node unguarded.
    const throwsLate = () => {
      if (++calls > 50) throw new RangeError('late failure');
      return true;
    };
    expect(() => store.search(unit(1), 5, throwsLate)).toThrow(/late failure/);
    expect(calls).toBeGreaterThan(50);
    expect(store.search(unit(1), 5)).toHaveLength(5);
  });

  it('answers a selective filter exactly, as the exact store does', () => {
    const many = clusteredRecords(3000, clusteredVectors({ dimension: 8, clusters: 4, noise: 0.3, seed: 5 }), 100);
    const exact = new ExactVectorStore(identity);
    const hnsw = new HnswVectorStore(identity);
    exact.add(many);
    hnsw.add(many);
    const mine = (metadata: Readonly<Record<string, unknown>>) => metadata.userId === 'u42';
    expect(hnsw.search(unit(1, 1), 10, mine)).toEqual(exact.search(unit(1, 1), 10, mine));
  });

  it('rejects invalid graph options with a ConfigError naming the key', () => {
    expect(() => new HnswVectorStore({ ...identity, m: 1 })).toThrow(ConfigError);
    expect(() => new HnswVectorStore({ ...identity, ef: 0 })).toThrow(/option ef/);
    expect(() => new ExactVectorStore({ embedderId: '', dimension: 8 })).toThrow(/option embedderId/);
    const store = new HnswVectorStore(identity);
    expect(() => (store.ef = 0)).toThrow(ConfigError);
    expect(() => (store.exactFilterRate = 1.5)).toThrow(/exactFilterRate/);
  });

  it('trades recall for speed through ef', () => {
    const exact = new ExactVectorStore({ embedderId: 'x', dimension: 64 });
    const hnsw = new HnswVectorStore({ embedderId: 'x', dimension: 64, ef: 10 });
    exact.add(records);
    hnsw.add(records);
    const low = recallAt10(hnsw, exact);
    hnsw.ef = 200;
    expect(hnsw.ef).toBe(200);
    expect(recallAt10(hnsw, exact)).toBeGreaterThan(low);
  });
});
