import { z } from 'zod';

/** How texts become TF-IDF features: word n-grams plus character n-grams inside word boundaries. */
export interface TfidfOptions {
  /** Shortest and longest word n-gram. @default [1, 2] */
  wordNgrams: [number, number];
  /** Shortest and longest character n-gram within a space-padded word; null for none. @default [2, 5] */
  charNgrams: [number, number] | null;
  /** Keep a term only when at least this many training texts contain it. @default 2 */
  minDf: number;
  /** Count a term `1 + ln(count)` times rather than `count` times. @default true */
  sublinearTf: boolean;
}

/** A sparse feature vector: parallel arrays of feature indices and values. */
export interface SparseVector {
  indices: Int32Array;
  values: Float64Array;
}

/** What a fitted vectorizer saves: its options, its terms (index = feature) and their IDF weights. */
export interface TfidfState {
  options: TfidfOptions;
  terms: string[];
  idf: number[];
}

/** @default options of {@link TfidfVectorizer.fit}. */
export const DEFAULT_TFIDF_OPTIONS: TfidfOptions = { wordNgrams: [1, 2], charNgrams: [2, 5], minDf: 2, sublinearTf: true };

const length = z.number().int('must be a whole number').min(1, 'must be at least 1');
const range = z.tuple([length, length]).refine(([low, high]) => low <= high, 'must be [shortest, longest], e.g. [1, 2]');

/** Schema of the options, for validation at the edge. */
export const tfidfOptionsSchema = z
  .object({
    wordNgrams: range,
    charNgrams: range.nullable(),
    minDf: z.number().int('must be a whole number of texts').min(1, 'must be at least 1 text'),
    sublinearTf: z.boolean(),
  })
  .strict();

/** Schema of a saved vectorizer, used when a model file is read. */
export const tfidfStateSchema = z
  .object({
    options: tfidfOptionsSchema,
    terms: z.array(z.string()),
    idf: z.array(z.number().positive()),
  })
  .refine((state) => state.terms.length === state.idf.length, 'terms and idf must have the same length');

const WORD = /[\p{L}\p{N}]+(?:'[\p{L}]+)?/gu;

/** Lower-cased word tokens; apostrophes stay inside words ("don't"). */
export function words(text: string): string[] {
  return text.toLowerCase().normalize('NFKC').match(WORD) ?? [];
}

/** Every term of a text, with repeats: `w:` word n-grams and `c:` character n-grams. */
function termsOf(text: string, options: TfidfOptions): string[] {
  const tokens = words(text);
  const terms: string[] = [];
  const [wordLow, wordHigh] = options.wordNgrams;
  for (let n = wordLow; n <= wordHigh; n++) {
    for (let i = 0; i + n <= tokens.length; i++) terms.push(`w:${tokens.slice(i, i + n).join(' ')}`);
  }
  if (options.charNgrams) {
    const [charLow, charHigh] = options.charNgrams;
    for (const token of new Set(tokens)) {
      const padded = ` ${token} `;
      for (let n = charLow; n <= Math.min(charHigh, padded.length); n++) {
        for (let i = 0; i + n <= padded.length; i++) terms.push(`c:${padded.slice(i, i + n)}`);
      }
    }
  }
  return terms;
}

/**
 * TF-IDF features (sublinear TF, smoothed IDF, L2-normalised) over a vocabulary learned from
 * training texts. Words and characters are separate blocks, each normalised, so neither drowns
 * the other; the whole vector then has unit length.
 */
export class TfidfVectorizer {
  private readonly index: Map<string, number>;

  private constructor(
    readonly options: TfidfOptions,
    private readonly terms: string[],
    private readonly idf: Float64Array,
  ) {
    this.index = new Map(terms.map((term, i) => [term, i]));
  }

  /** Learns the vocabulary and IDF weights of `texts`; terms are ordered so the result is deterministic. */
  static fit(texts: readonly string[], options: Partial<TfidfOptions> = {}): TfidfVectorizer {
    const resolved = { ...DEFAULT_TFIDF_OPTIONS, ...options };
    const documentFrequency = new Map<string, number>();
    for (const text of texts) {
      for (const term of new Set(termsOf(text, resolved))) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
    }
    const kept = [...documentFrequency].filter(([, df]) => df >= resolved.minDf).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const idf = Float64Array.from(kept, ([, df]) => Math.log((1 + texts.length) / (1 + df)) + 1);
    return new TfidfVectorizer(resolved, kept.map(([term]) => term), idf);
  }

  /** A vectorizer from its saved state (already validated with {@link tfidfStateSchema}). */
  static fromState(state: TfidfState): TfidfVectorizer {
    return new TfidfVectorizer(state.options, state.terms, Float64Array.from(state.idf));
  }

  /** Number of features. */
  get dimension(): number {
    return this.terms.length;
  }

  /** The unit-length TF-IDF vector of a text; terms outside the vocabulary are ignored. */
  transform(text: string): SparseVector {
    const counts = new Map<number, number>();
    for (const term of termsOf(text, this.options)) {
      const feature = this.index.get(term);
      if (feature !== undefined) counts.set(feature, (counts.get(feature) ?? 0) + 1);
    }
    const indices = Int32Array.from(counts.keys());
    const values = new Float64Array(indices.length);
    const blockNorms = new Map<string, number>();
    indices.forEach((feature, i) => {
      const count = counts.get(feature)!;
      const value = (this.options.sublinearTf ? 1 + Math.log(count) : count) * this.idf[feature]!;
      values[i] = value;
      const block = this.terms[feature]![0]!;
      blockNorms.set(block, (blockNorms.get(block) ?? 0) + value * value);
    });
    const blocks = blockNorms.size;
    indices.forEach((feature, i) => {
      values[i]! /= Math.sqrt(blockNorms.get(this.terms[feature]![0]!)! * blocks);
    });
    return { indices, values };
  }

  toState(): TfidfState {
    return { options: this.options, terms: this.terms, idf: Array.from(this.idf) };
  }
}
