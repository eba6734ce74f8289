import type { VectorRecord } from '../../core/memory/types.js';

/** A seeded uniform generator in [0, 1) (mulberry32): the same seed gives the same vectors everywhere. */
export function seededRandom(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Random but structured vectors, like embeddings of topical text: each is one of `clusters`
 * Gaussian centroids plus Gaussian noise of standard deviation `noise` per dimension.
 */
export function clusteredVectors(options: { dimension: number; clusters: number; noise: number; seed: number }): () => Float32Array {
  const random = seededRandom(options.seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const centroids = Array.from({ length: options.clusters }, () => Float32Array.from({ length: options.dimension }, gaussian));
  return () => Float32Array.from(centroids[Math.floor(random() * options.clusters)]!, (value) => value + options.noise * gaussian());
}

/** `count` records `v0`, `v1`, ... with clustered vectors, owned round-robin by `users` users (`u0`, `u1`, ...). */
export function clusteredRecords(count: number, next: () => Float32Array, users = 5): VectorRecord[] {
  return Array.from({ length: count }, (_, i) => ({ id: `v${i}`, vector: next(), metadata: { userId: `u${i % users}`, position: i } }));
}
