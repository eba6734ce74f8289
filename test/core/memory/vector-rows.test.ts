import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalize } from '../../../core/memory/embedding.js';
import { rowArena } from '../../../core/memory/simd-dots.js';
import { ExactVectorStore } from '../../../core/memory/vector-store.js';
import { dotAt, VectorRows } from '../../../core/memory/vector-rows.js';

const float = fc.float({ min: -1, max: 1, noNaN: true });

describe('VectorRows', () => {
  it('runs in WebAssembly SIMD on this Node', () => {
    expect(rowArena).toBeDefined();
  });

  it('hands out 16-byte aligned blocks whatever the sizes asked, so float64 views of them never throw', () => {
    const arena = rowArena!;
    const sizes = [13, 16, 131_148, 4, 24];
    const offsets = sizes.map((bytes) => arena.allocate(bytes)!);
    expect(offsets.map((offset) => offset % 16)).toEqual(sizes.map(() => 0));
    offsets.forEach((offset, i) => arena.release(offset, sizes[i]!));
  });

  it('computes dot products bit for bit as the JS loop does, SIMD or not', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 13 }), fc.integer({ min: 0, max: 1_000_000 }), (dimension, count, seed) => {
        const values = fc.sample(fc.array(float, { minLength: dimension * (count + 1), maxLength: dimension * (count + 1) }), { seed, numRuns: 1 })[0]!;
        const rows = new VectorRows(dimension, 1);
        rows.grow(count);
        rows.floats.set(values.slice(0, dimension * count));
        const query = Float32Array.from(values.slice(dimension * count));
        const expected = Array.from({ length: count }, (_, row) => dotAt(Float32Array.from(values), row * dimension, query));
        expect([...rows.dots(query, count)]).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps every table its own rows while many grow side by side', () => {
    const tables = Array.from({ length: 20 }, (_, t) => {
      const rows = new VectorRows(8, 1);
      rows.floats.fill(t);
      return rows;
    });
    for (let capacity = 2; capacity <= 256; capacity *= 2) {
      tables.forEach((rows) => rows.grow(capacity));
      tables.forEach((rows, t) => {
        expect(rows.floats.subarray(0, (capacity / 2) * 8).every((value) => value === t)).toBe(true);
        rows.floats.fill(t);
      });
    }
  });

  it('finds exactly the k nearest, with exact similarities, when float32 sums only preselect them', () => {
    // Few distinct base vectors, each repeated with changes near float32's precision: near-ties everywhere.
    const collection = fc.record({
      dimension: fc.constantFrom(4, 8, 64, 384),
      bases: fc.integer({ min: 1, max: 6 }),
      count: fc.integer({ min: 1, max: 300 }),
      k: fc.integer({ min: 1, max: 25 }),
      seed: fc.integer({ min: 0, max: 1_000_000 }),
    });
    fc.assert(
      fc.property(collection, ({ dimension, bases, count, k, seed }) => {
        const [values] = fc.sample(fc.array(float, { minLength: dimension * (bases + 1), maxLength: dimension * (bases + 1) }), { seed, numRuns: 1 });
        const base = (b: number) => Float32Array.from(values!.slice(b * dimension, (b + 1) * dimension), (v) => v + 1e-3);
        const store = new ExactVectorStore({ embedderId: 'test', dimension });
        const vectors = Array.from({ length: count }, (_, i) => {
          const vector = base(i % bases);
          vector[i % dimension] = vector[i % dimension]! * (1 + ((i % 7) - 3) * 1e-7);
          return vector;
        });
        store.add(vectors.map((vector, i) => ({ id: `v${i}`, vector, metadata: {} })));
        const query = base(bases);
        const unit = normalize(query);
        const expected = vectors
          .map((vector, i) => ({ id: `v${i}`, similarity: dotAt(normalize(vector), 0, unit) }))
          .sort((a, b) => b.similarity - a.similarity || (a.id < b.id ? -1 : 1))
          .slice(0, k);
        expect(store.search(query, k)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });
});
