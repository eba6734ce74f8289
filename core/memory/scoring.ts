import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { firstIssue } from '../validation.js';
import type { Memory } from './types.js';

/** Relative weights of the three parts of a memory's score; divided by their sum, so the score stays in 0..1. */
export interface ScoringWeights {
  /** How well the memory matches the query (fused lexical and vector relevance). */
  similarity: number;
  /** How recently the memory was created, decayed exponentially. */
  recency: number;
  /** The importance stored with the memory. */
  importance: number;
}

/**
 * @default weights: relevance dominates, so an old memory that answers the question still beats
 * a fresh one that does not; recency and importance order memories of comparable relevance
 * (the lab design's "similarity, recency, importance", weighted 3:1:1).
 */
export const DEFAULT_SCORING_WEIGHTS: Readonly<ScoringWeights> = Object.freeze({ similarity: 0.6, recency: 0.2, importance: 0.2 });

/** Days after which a memory's recency halves. @default 30 */
export const DEFAULT_HALF_LIFE_DAYS = 30;

const DAY_MS = 86_400_000;

/** Options of a {@link MemoryScorer}. */
export interface ScoringOptions {
  /** The clock ages are measured against; inject one to replay old data reproducibly. @default () => new Date() */
  now?: () => Date;
  /** Days after which recency halves; Infinity turns decay off. @default DEFAULT_HALF_LIFE_DAYS */
  halfLifeDays?: number;
  /** Missing weights take their default. @default DEFAULT_SCORING_WEIGHTS */
  weights?: Partial<ScoringWeights>;
}

/** A memory's score and the parts it was made of, each in 0..1. */
export interface ScoreParts {
  score: number;
  relevance: number;
  recency: number;
  importance: number;
}

const weight = z.number().min(0, 'must be 0 or more').finite('must be a finite number');
const optionsSchema = z.object({
  // zod's number() refuses Infinity, which the option documents as "no decay".
  halfLifeDays: z.union([z.number().positive('must be more than zero days'), z.literal(Infinity)]).default(DEFAULT_HALF_LIFE_DAYS),
  weights: z
    .object({ similarity: weight.optional(), recency: weight.optional(), importance: weight.optional() })
    .strict()
    .default({}),
});

/** 0.5^(age / half-life): 1 for a memory made now (or dated in the future), 0.5 after one half-life. */
export function recencyDecay(ageMs: number, halfLifeDays: number): number {
  if (!(ageMs > 0) || halfLifeDays === Infinity) return 1;
  return 0.5 ** (ageMs / (halfLifeDays * DAY_MS));
}

/**
 * Scores memories as the weighted mean of relevance, recency and importance. Every age is
 * measured against the injected clock (or the `now` passed to {@link score}), never the wall clock.
 */
export class MemoryScorer {
  readonly weights: Readonly<ScoringWeights>;
  readonly halfLifeDays: number;
  readonly now: () => Date;
  private readonly total: number;

  /** @throws ConfigError naming the option, its value and the fix. */
  constructor(options: ScoringOptions = {}) {
    const { now, ...settings } = options;
    const parsed = optionsSchema.safeParse(settings);
    if (!parsed.success) {
      const issue = firstIssue(settings, parsed.error);
      throw new ConfigError(`invalid memory scoring option: ${issue.key} = ${JSON.stringify(issue.value)} ${issue.problem}`, 'leave it out for the default or pass a value in range');
    }
    this.weights = Object.freeze({ ...DEFAULT_SCORING_WEIGHTS, ...stripUndefined(parsed.data.weights) });
    this.total = this.weights.similarity + this.weights.recency + this.weights.importance;
    if (this.total <= 0) throw new ConfigError('invalid memory scoring option: weights are all 0', 'give at least one of similarity, recency, importance a weight above 0');
    this.halfLifeDays = parsed.data.halfLifeDays;
    this.now = now ?? (() => new Date());
  }

  /** The memory's score for a query it matches with `relevance` (0..1), at `now` (default the clock). */
  score(memory: Pick<Memory, 'createdAt' | 'importance'>, relevance: number, now: Date = this.now()): ScoreParts {
    const recency = recencyDecay(now.getTime() - timeOf(memory), this.halfLifeDays);
    const importance = clamp01(memory.importance);
    const clampedRelevance = clamp01(relevance);
    const { similarity, recency: recencyWeight, importance: importanceWeight } = this.weights;
    const score = (similarity * clampedRelevance + recencyWeight * recency + importanceWeight * importance) / this.total;
    return { score, relevance: clampedRelevance, recency, importance };
  }
}

const parsedTimes = new WeakMap<object, { iso: string; ms: number }>();

/** Date.parse of a memory's createdAt, remembered per memory object: a search scores up to 1,000 memories of a user. */
function timeOf(memory: Pick<Memory, 'createdAt'>): number {
  const parsed = parsedTimes.get(memory);
  if (parsed?.iso === memory.createdAt) return parsed.ms;
  const ms = Date.parse(memory.createdAt);
  parsedTimes.set(memory, { iso: memory.createdAt, ms });
  return ms;
}

function clamp01(value: number): number {
  return Number.isNaN(value) ? 0 : Math.min(1, Math.max(0, value));
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
