import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rowArena } from '../../../core/memory/simd-dots.js';
import { dotAt, VectorRows } from '../../../core/memory/vector-rows.js';

const float = fc.float({ min: -1, max: 1, noNaN: true });

describe('VectorRows', () => {
  it('runs in WebAssembly SIMD on this Node', () => {
    expect(rowArena).toBeDefined();
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
});
