import type { Distribution, Estimate } from './harness/result.js';

/** A deterministic PRNG (mulberry32): the same seed gives the same bootstrap intervals. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** The p-th percentile (0..100) by linear interpolation between closest ranks. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

export function distribution(values: readonly number[]): Distribution {
  return { mean: round(mean(values)), p50: round(percentile(values, 50)), p95: round(percentile(values, 95)) };
}

/** Percentile bootstrap of the mean over units (episodes), seeded for reproducibility. */
export function bootstrapMean(values: readonly number[], seed: number, resamples = 1000): Estimate {
  const n = values.length;
  if (n === 0) return { mean: 0, ci95: [0, 0], n: 0 };
  const random = seededRandom(seed);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) means[r] = resampledMean(values, random);
  const [low, high] = interval95(means);
  return { mean: round(mean(values)), ci95: [round(low), round(high)], n };
}

/** A difference of means (treatment - control) with its 95% bootstrap interval; unrounded. */
export interface Difference {
  difference: number;
  ci95: [number, number];
  /** Units behind each side: [control, treatment]. */
  n: [number, number];
}

/**
 * Percentile bootstrap of `mean(treatment) - mean(control)`, resampling each group's units
 * independently (the groups are disjoint, as the users of two A/B variants are); seeded.
 */
export function bootstrapDifference(control: readonly number[], treatment: readonly number[], seed: number, resamples = 1000): Difference {
  const n: [number, number] = [control.length, treatment.length];
  if (control.length === 0 || treatment.length === 0) return { difference: 0, ci95: [0, 0], n };
  const random = seededRandom(seed);
  const differences = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) differences[r] = resampledMean(treatment, random) - resampledMean(control, random);
  return { difference: mean(treatment) - mean(control), ci95: interval95(differences), n };
}

/** The mean of one resample (with replacement) of `values`. */
function resampledMean(values: readonly number[], random: () => number): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[Math.floor(random() * values.length)]!;
  return sum / values.length;
}

/** The 2.5th and 97.5th percentiles of bootstrap estimates (sorts them in place). */
function interval95(estimates: Float64Array): [number, number] {
  estimates.sort();
  return [estimates[Math.floor(0.025 * estimates.length)]!, estimates[Math.ceil(0.975 * estimates.length) - 1]!];
}

/** Rounds to 6 significant decimals so results serialize identically across runs. */
export function round(value: number, digits = 6): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
