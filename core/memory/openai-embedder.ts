import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type OpenAI from 'openai';
import { z } from 'zod';
import { ConfigError, CtxbenchError } from '../errors.js';
import { createLlmClient, type LlmConfig } from '../llm/client.js';
import { writeFileAtomically } from './store-format.js';
import type { Embedder } from './types.js';

/** Options of {@link OpenAiEmbedder}. */
export interface OpenAiEmbedderOptions {
  /** Texts per request. @default 64 */
  batchSize?: number;
  /** Directory of the on-disk cache (one file per model + text); no cache when unset. */
  cacheDir?: string;
  /** Length of the model's vectors; known for OpenAI's own embedding models, required for others. */
  dimension?: number;
  /** Extra attempts after a malformed response (HTTP errors are retried by the client's maxRetries). @default 2 */
  malformedRetries?: number;
  /** Wait before the first retry of a malformed response, doubled for each next one. @default 500 */
  retryDelayMs?: number;
}

/** An embeddings endpoint failed (after the client's retries) or kept answering with a malformed body. */
export class EmbeddingError extends CtxbenchError {
  constructor(code: 'E_EMBEDDING_REQUEST' | 'E_EMBEDDING_RESPONSE', message: string, hint: string, cause?: unknown) {
    super(code, message, hint);
    if (cause !== undefined) this.cause = cause;
  }
}

const KNOWN_DIMENSIONS: Readonly<Record<string, number>> = { 'text-embedding-3-small': 1536, 'text-embedding-3-large': 3072, 'text-embedding-ada-002': 1536 };

const responseSchema = z.object({ data: z.array(z.object({ index: z.number().int().min(0), embedding: z.array(z.number()) })) });

/**
 * Embeddings from an OpenAI-compatible endpoint, in batches, with an on-disk cache keyed by
 * sha256(model + NUL + text): a cached text never reaches the network, so a replay pays once.
 */
export class OpenAiEmbedder implements Embedder {
  readonly id: string;
  readonly dimension: number;
  private readonly model: string;
  private readonly client: OpenAI;
  private readonly batchSize: number;
  private readonly cacheDir: string | undefined;
  private readonly malformedRetries: number;
  private readonly retryDelayMs: number;

  constructor(config: LlmConfig, options: OpenAiEmbedderOptions = {}) {
    this.client = createLlmClient(config);
    this.model = config.model;
    this.id = `openai:${config.model}`;
    const dimension = options.dimension ?? KNOWN_DIMENSIONS[config.model];
    if (dimension === undefined) throw new ConfigError(`OpenAiEmbedder: the dimension of model "${config.model}" is not known`, 'pass options.dimension (the length of the vectors the model returns)');
    this.dimension = integerOption('dimension', dimension, 1);
    this.batchSize = integerOption('batchSize', options.batchSize ?? 64, 1);
    this.malformedRetries = integerOption('malformedRetries', options.malformedRetries ?? 2, 0);
    this.retryDelayMs = integerOption('retryDelayMs', options.retryDelayMs ?? 500, 0);
    this.cacheDir = options.cacheDir;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const keys = texts.map((text) => createHash('sha256').update(`${this.model}\0${text}`).digest('hex'));
    const vectors = new Map<string, Float32Array>();
    const missing = new Map<string, string>();
    for (const [i, key] of keys.entries()) {
      if (vectors.has(key) || missing.has(key)) continue;
      const cached = this.readCache(key);
      if (cached) vectors.set(key, cached);
      else missing.set(key, texts[i]!);
    }
    const pending = [...missing];
    for (let start = 0; start < pending.length; start += this.batchSize) {
      const batch = pending.slice(start, start + this.batchSize);
      const fetched = await this.fetchBatch(batch.map(([, text]) => text));
      batch.forEach(([key], i) => {
        vectors.set(key, fetched[i]!);
        this.writeCache(key, fetched[i]!);
      });
    }
    return keys.map((key) => vectors.get(key)!);
  }

  /** One batch, retried with backoff while the response is malformed. */
  private async fetchBatch(texts: string[]): Promise<Float32Array[]> {
    for (let attempt = 0; ; attempt++) {
      const body = await this.request(texts);
      const parsed = this.parse(body, texts.length);
      if (typeof parsed !== 'string') return parsed;
      if (attempt >= this.malformedRetries) {
        throw new EmbeddingError('E_EMBEDDING_RESPONSE', `${this.id}: malformed embeddings response after ${attempt + 1} attempts: ${parsed}`, 'check that the endpoint speaks the OpenAI embeddings API');
      }
      await sleep(this.retryDelayMs * 2 ** attempt);
    }
  }

  private async request(texts: string[]): Promise<unknown> {
    try {
      return await this.client.embeddings.create({ model: this.model, input: texts, encoding_format: 'float' });
    } catch (cause) {
      const status = (cause as { status?: number }).status;
      throw new EmbeddingError(
        'E_EMBEDDING_REQUEST',
        `${this.id}: embeddings request failed${status ? ` with HTTP ${status}` : ''}: ${(cause as Error).message}`,
        'check the endpoint, the API key and the model name; 429 and 5xx are already retried (LlmConfig.maxRetries)',
        cause,
      );
    }
  }

  /** The vectors in input order, or what is wrong with the body. */
  private parse(body: unknown, expected: number): Float32Array[] | string {
    const parsed = responseSchema.safeParse(body);
    if (!parsed.success) return `${parsed.error.issues[0]!.path.join('.') || 'body'}: ${parsed.error.issues[0]!.message}`;
    const byIndex = new Map(parsed.data.data.map((item) => [item.index, item.embedding]));
    if (parsed.data.data.length !== expected || byIndex.size !== expected) return `${parsed.data.data.length} embeddings (${byIndex.size} distinct indices) for ${expected} inputs`;
    const vectors: Float32Array[] = [];
    for (let index = 0; index < expected; index++) {
      const embedding = byIndex.get(index);
      if (!embedding) return `no embedding for input ${index}`;
      if (embedding.length !== this.dimension) {
        throw new ConfigError(`${this.id} returned ${embedding.length}-d vectors, the embedder expects ${this.dimension}`, `set options.dimension to ${embedding.length}, or choose the model whose vectors are ${this.dimension}-d`);
      }
      vectors.push(Float32Array.from(embedding));
    }
    return vectors;
  }

  private cachePath(key: string): string | undefined {
    return this.cacheDir === undefined ? undefined : join(this.cacheDir, key.slice(0, 2), `${key}.f32`);
  }

  /** A cached vector, or undefined when absent or of the wrong size (a stale entry is refetched and overwritten). */
  private readCache(key: string): Float32Array | undefined {
    const path = this.cachePath(key);
    if (!path) return undefined;
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch {
      return undefined;
    }
    if (bytes.length !== this.dimension * 4) return undefined;
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  }

  private writeCache(key: string, vector: Float32Array): void {
    const path = this.cachePath(key);
    if (!path) return;
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileAtomically(path, (temp) => writeFileSync(temp, new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength)), false);
  }
}

function integerOption(key: string, value: number, min: number): number {
  if (Number.isInteger(value) && value >= min) return value;
  throw new ConfigError(`OpenAiEmbedder option ${key} must be an integer of at least ${min}, got ${value}`, `set ${key} to a whole number of at least ${min}`);
}
