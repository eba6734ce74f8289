import { createHash } from 'node:crypto';
import { ConfigError, describeValue, didYouMean } from '../errors.js';

/**
 * A user's point in [0, 1) for an experiment: the first 48 bits of SHA-256 of the experiment
 * name and the user id. A pure function, so assignment is sticky across calls, processes and
 * machines, and independent between experiments (a user in one experiment's treatment is not
 * thereby in another's).
 */
export function assignmentPoint(userId: string, experiment: string): number {
  // The NUL separator keeps ("ab", "c") and ("a", "bc") apart.
  const digest = createHash('sha256').update(`${experiment}\u0000${userId}`).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/** Split weights normalized to fractions that sum to 1, in variant order. */
export function splitFractions(variants: readonly string[], weights?: Readonly<Record<string, number>>): number[] {
  if (weights === undefined) return variants.map(() => 1 / variants.length);
  for (const name of Object.keys(weights)) {
    if (!variants.includes(name)) throw new ConfigError(`weights.${name} names no variant`, didYouMean(name, variants));
  }
  const raw = variants.map((name) => {
    const weight = weights[name];
    if (weight === undefined) throw new ConfigError(`weights.${name} is missing`, `give every variant a weight (${variants.join(', ')}), or leave weights out for an even split`);
    if (!(Number.isFinite(weight) && weight >= 0)) throw new ConfigError(`weights.${name} = ${describeValue(weight)} must be a number, zero or more`, 'weights are relative, e.g. { control: 9, treatment: 1 } for a 90/10 split');
    return weight;
  });
  const total = raw.reduce((sum, weight) => sum + weight, 0);
  if (total === 0) throw new ConfigError('weights are all zero', 'give at least one variant a positive weight');
  return raw.map((weight) => weight / total);
}

/** The index of the variant whose share of [0, 1) holds `point`. */
export function variantAt(point: number, fractions: readonly number[]): number {
  let upper = 0;
  for (const [index, fraction] of fractions.entries()) {
    upper += fraction;
    if (point < upper) return index;
  }
  // Rounding can leave the cumulative sum a hair under 1: the point falls to the last variant with a share.
  return fractions.findLastIndex((fraction) => fraction > 0);
}
