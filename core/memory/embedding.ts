import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ConfigError, CtxbenchError, InputError } from '../errors.js';
import { firstIssue } from '../validation.js';
import type { Embedder, VectorRecord } from './types.js';

/** Which embedder made a vector: its id and dimension. Stores carry one and refuse vectors of another. */
export interface EmbedderIdentity {
  embedderId: string;
  dimension: number;
}

/** A record that names the embedder of its vector; stores reject it when that is not their embedder. */
export interface EmbeddedVectorRecord extends VectorRecord {
  embedderId?: string;
}

/** Vectors of two embedders (or two dimensions) met where only one may be. */
export class EmbedderMismatchError extends CtxbenchError {
  constructor(message: string, hint?: string) {
    super('E_EMBEDDER_MISMATCH', message, hint);
  }
}

/** The identity of an embedder, as stores record it. */
export function identityOf(embedder: Pick<Embedder, 'id' | 'dimension'>): EmbedderIdentity {
  return { embedderId: embedder.id, dimension: embedder.dimension };
}

/** Throws an {@link EmbedderMismatchError} naming `where` unless both identities are the same embedder. */
export function assertSameEmbedder(expected: EmbedderIdentity, actual: EmbedderIdentity, where: string): void {
  if (expected.embedderId === actual.embedderId && expected.dimension === actual.dimension) return;
  throw new EmbedderMismatchError(
    `${where}: ${actual.embedderId} vectors (${actual.dimension}-d) where ${expected.embedderId} vectors (${expected.dimension}-d) are expected`,
    'embed with the embedder the store was built with, or rebuild the store with the new embedder',
  );
}

/** Cosine similarity in [-1, 1]; 0 when either vector is all zeros. */
export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new InputError(`cosine of vectors of different lengths (${a.length} and ${b.length})`);
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    normA += a[i]! * a[i]!;
    normB += b[i]! * b[i]!;
  }
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}

/** Options of {@link HashingEmbedder}. */
export interface HashingEmbedderOptions {
  /**
   * Length of the vectors. Measured on LoCoMo QA (question -> evidence turn, recall@5, fitted IDF):
   * 0.40 at 256, 0.47 at 512, 0.50 at 1024, 0.51 at 2048 (bench/micro/memory-store.bench.ts); 1024 is the knee.
   * @default 1024
   */
  dimension?: number;
  /** Shortest and longest word n-gram; null for none. @default [1, 2] */
  wordNgrams?: [number, number] | null;
  /** Shortest and longest character n-gram inside space-padded words; null for none. @default [3, 5] */
  charNgrams?: [number, number] | null;
}

type HashingConfig = Required<HashingEmbedderOptions>;

/** What {@link HashingEmbedder.state} returns and {@link HashingEmbedder.fromState} restores (JSON-safe). */
export interface HashingEmbedderState {
  version: 1;
  options: HashingConfig;
  /** Texts the IDF was fitted on; 0 when not fitted. */
  documents: number;
  /** Feature hashes (sorted, uint32, base64) and their document frequencies (uint32, base64). */
  features: string;
  frequencies: string;
}

const ngramRange = z.tuple([z.number().int().min(1).max(8), z.number().int().min(1).max(8)]).refine(([low, high]) => low <= high, 'must be [shortest, longest]');
const optionsSchema = z
  .object({ dimension: z.number().int().min(2).max(1 << 20), wordNgrams: ngramRange.nullable(), charNgrams: ngramRange.nullable() })
  .refine((options) => options.wordNgrams !== null || options.charNgrams !== null, 'wordNgrams and charNgrams cannot both be null');
const stateSchema = z.object({
  version: z.literal(1),
  options: optionsSchema,
  documents: z.number().int().min(0),
  features: z.string(),
  frequencies: z.string(),
});

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const WORD_SEED = Math.imul(FNV_OFFSET ^ 0x77, FNV_PRIME);
const CHAR_SEED = Math.imul(FNV_OFFSET ^ 0x63, FNV_PRIME);
const WORD = /[\p{L}\p{N}]+/gu;
/** Features seen in fewer fitted texts than this are not stored; they get the IDF of an unseen feature. */
const MIN_DF = 2;

/** murmur3's finalizer: FNV-1a's low bits are poorly mixed, and buckets and signs come from them. */
function mix(hash: number): number {
  let h = hash ^ (hash >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function hashToken(token: string): number {
  let h = WORD_SEED;
  for (let i = 0; i < token.length; i++) h = Math.imul(h ^ token.charCodeAt(i), FNV_PRIME);
  return mix(h);
}

/** Calls `emit` with the 32-bit hash of every word and character n-gram of `text`, repeats included. */
function forEachFeature(text: string, config: HashingConfig, emit: (feature: number) => void): void {
  const tokens = text.normalize('NFKC').toLowerCase().match(WORD) ?? [];
  if (config.wordNgrams) {
    const hashes = tokens.map(hashToken);
    const [low, high] = config.wordNgrams;
    for (let n = low; n <= high; n++) {
      for (let start = 0; start + n <= hashes.length; start++) {
        let h = WORD_SEED + n;
        for (let i = start; i < start + n; i++) h = Math.imul(h ^ hashes[i]!, FNV_PRIME);
        emit(mix(h));
      }
    }
  }
  if (config.charNgrams) {
    const [low, high] = config.charNgrams;
    for (const token of tokens) {
      const padded = ` ${token} `;
      for (let start = 0; start + low <= padded.length; start++) {
        let h = CHAR_SEED;
        for (let end = start; end < Math.min(start + high, padded.length); end++) {
          h = Math.imul(h ^ padded.charCodeAt(end), FNV_PRIME);
          if (end - start + 1 >= low) emit(mix(h));
        }
      }
    }
  }
}

/**
 * An offline embedder that needs no model: word and character n-grams, feature-hashed with signed
 * hashing into `dimension` buckets, sublinear term frequency, optional IDF fitted by {@link fit},
 * L2-normalized. Deterministic; the id names the configuration and, once fitted, the IDF.
 */
export class HashingEmbedder implements Embedder {
  readonly dimension: number;
  private readonly config: HashingConfig;
  private documents = 0;
  private idf = new Map<number, number>();
  private frequencies = new Map<number, number>();
  private fingerprint = '';

  constructor(options: HashingEmbedderOptions = {}) {
    this.config = parseOptions({ dimension: 1024, wordNgrams: [1, 2], charNgrams: [3, 5], ...options });
    this.dimension = this.config.dimension;
  }

  /** e.g. `hashing-tfidf-v1:1024:w1-2:c3-5`, plus `:idf-<hash>` once fitted. */
  get id(): string {
    const range = (ngrams: [number, number] | null) => (ngrams ? `${ngrams[0]}-${ngrams[1]}` : 'none');
    const base = `hashing-tfidf-v1:${this.dimension}:w${range(this.config.wordNgrams)}:c${range(this.config.charNgrams)}`;
    return this.fingerprint ? `${base}:idf-${this.fingerprint}` : base;
  }

  /** Fits the IDF on `texts` (replacing any earlier fit); the id changes with it. Returns this. */
  fit(texts: readonly string[]): this {
    const counts = new Map<number, number>();
    for (const text of texts) {
      const seen = new Set<number>();
      forEachFeature(text, this.config, (feature) => seen.add(feature));
      for (const feature of seen) counts.set(feature, (counts.get(feature) ?? 0) + 1);
    }
    this.useFrequencies(texts.length, new Map([...counts].filter(([, df]) => df >= MIN_DF)));
    return this;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((text) => this.embedText(text));
  }

  /** The vector of one text, synchronously. */
  embedText(text: string): Float32Array {
    const counts = new Map<number, number>();
    forEachFeature(text, this.config, (feature) => counts.set(feature, (counts.get(feature) ?? 0) + 1));
    const sums = new Float64Array(this.dimension);
    const unseen = this.documents > 0 ? Math.log(1 + this.documents) + 1 : 1;
    for (const [feature, count] of counts) {
      const weight = (1 + Math.log(count)) * (this.idf.get(feature) ?? unseen);
      const bucket = feature % this.dimension;
      sums[bucket] = sums[bucket]! + (feature >= 0x80000000 ? -weight : weight);
    }
    return normalize(sums);
  }

  /** The configuration and fitted IDF, to save beside a store and restore with {@link fromState}. */
  state(): HashingEmbedderState {
    const features = Uint32Array.from([...this.frequencies.keys()].sort((a, b) => a - b));
    const frequencies = Uint32Array.from(features, (feature) => this.frequencies.get(feature)!);
    return { version: 1, options: { ...this.config }, documents: this.documents, features: toBase64(features), frequencies: toBase64(frequencies) };
  }

  /** An embedder from a saved {@link state}; throws a ConfigError naming the bad key. */
  static fromState(state: unknown): HashingEmbedder {
    const parsed = stateSchema.safeParse(state);
    if (!parsed.success) {
      const issue = firstIssue(state, parsed.error);
      throw new ConfigError(`hashing embedder state: ${issue.key} ${issue.problem}`, 'pass an object returned by HashingEmbedder.state()');
    }
    const features = fromBase64(parsed.data.features);
    const frequencies = fromBase64(parsed.data.frequencies);
    if (features.length !== frequencies.length) throw new ConfigError('hashing embedder state: features and frequencies have different lengths', 'pass an object returned by HashingEmbedder.state()');
    const embedder = new HashingEmbedder(parsed.data.options);
    embedder.useFrequencies(parsed.data.documents, new Map(Array.from(features, (feature, i) => [feature, frequencies[i]!])));
    return embedder;
  }

  private useFrequencies(documents: number, frequencies: Map<number, number>): void {
    this.documents = documents;
    this.frequencies = frequencies;
    this.idf = new Map([...frequencies].map(([feature, df]) => [feature, Math.log((1 + documents) / (1 + df)) + 1]));
    const { features, frequencies: counts } = this.state();
    this.fingerprint = documents > 0 ? createHash('sha256').update(`${documents}\0${features}\0${counts}`).digest('hex').slice(0, 12) : '';
  }
}

function parseOptions(options: HashingConfig): HashingConfig {
  const parsed = optionsSchema.safeParse(options);
  if (parsed.success) return parsed.data as HashingConfig;
  const issue = firstIssue(options, parsed.error);
  throw new ConfigError(`HashingEmbedder option ${issue.key} ${issue.problem}`, 'dimension is an integer from 2 to 1048576; n-gram ranges are [shortest, longest] from 1 to 8');
}

/** A float32 copy of `values` scaled to unit length (all zeros stay zeros). */
export function normalize(values: ArrayLike<number>): Float32Array {
  let norm = 0;
  for (let i = 0; i < values.length; i++) norm += values[i]! * values[i]!;
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  // A plain loop: Float32Array.from with a map callback took 13% of a 10,000-memory bulk load.
  const unit = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) unit[i] = values[i]! * scale;
  return unit;
}

function toBase64(values: Uint32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

function fromBase64(text: string): Uint32Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % 4 !== 0) throw new ConfigError('hashing embedder state: a feature table is not a whole number of uint32 values', 'pass an object returned by HashingEmbedder.state()');
  return new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}
