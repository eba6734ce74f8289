import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../core/errors.js';
import type { LlmConfig } from '../../../core/llm/client.js';
import { EmbeddingError, OpenAiEmbedder } from '../../../core/memory/openai-embedder.js';
import { startFakeOpenAi, type FakeResponse } from '../../support/openai-server.js';

const DIMENSION = 4;
/** A vector that encodes its text, so order and identity can be checked. */
const vectorOf = (text: string) => [text.length, text.charCodeAt(0) || 0, text.charCodeAt(text.length - 1) || 0, 1];
const embeddings = (body: Record<string, unknown>): FakeResponse => ({
  body: {
    object: 'list',
    model: body.model,
    data: (body.input as string[]).map((text, index) => ({ object: 'embedding', index, embedding: vectorOf(text) })),
    usage: { prompt_tokens: 1, total_tokens: 1 },
  },
});

let server: Awaited<ReturnType<typeof startFakeOpenAi>>;
let cacheDir: string;
let responses: ((body: Record<string, unknown>) => FakeResponse)[];
const config = (overrides: Partial<LlmConfig> = {}): LlmConfig => ({ baseURL: server.baseURL, apiKey: 'test', model: 'test-embed', maxRetries: 2, ...overrides });
const embedder = (options = {}, overrides: Partial<LlmConfig> = {}) => new OpenAiEmbedder(config(overrides), { dimension: DIMENSION, cacheDir, retryDelayMs: 1, ...options });
const texts = Array.from({ length: 150 }, (_, i) => `customer message number ${i}`);

beforeEach(async () => {
  responses = [];
  server = await startFakeOpenAi({ '/v1/embeddings': (body) => (responses.shift() ?? embeddings)(body) });
  cacheDir = mkdtempSync(join(tmpdir(), 'ctxbench-embed-cache-'));
});
afterEach(async () => {
  await server.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

describe('OpenAiEmbedder', () => {
  it('is named after its model', () => {
    expect(embedder().id).toBe('openai:test-embed');
    expect(new OpenAiEmbedder(config({ model: 'text-embedding-3-small' })).dimension).toBe(1536);
  });

  it('sends 150 texts with batch size 64 as 3 requests and returns vectors in input order', async () => {
    const vectors = await embedder({ batchSize: 64 }).embed(texts);
    expect(server.requests.map((request) => (request.body.input as string[]).length)).toEqual([64, 64, 22]);
    expect(server.requests[0]!.body).toMatchObject({ model: 'test-embed', encoding_format: 'float' });
    expect(vectors.map((vector) => [...vector])).toEqual(texts.map(vectorOf));
  });

  it('serves a second run from the disk cache without any request', async () => {
    await embedder().embed(texts);
    const before = server.requests.length;
    const replayed = await embedder().embed(texts);
    expect(server.requests.length).toBe(before);
    expect(replayed.map((vector) => [...vector])).toEqual(texts.map(vectorOf));
  });

  it('asks only for the texts not yet cached, each distinct text once', async () => {
    await embedder().embed(['a', 'b']);
    await embedder().embed(['b', 'c', 'c', 'a', 'd']);
    expect(server.requests.map((request) => request.body.input)).toEqual([['a', 'b'], ['c', 'd']]);
  });

  it('refetches a cache entry of the wrong size and overwrites it', async () => {
    await embedder().embed(['a']);
    const [shard] = readdirSync(cacheDir);
    const [entry] = readdirSync(join(cacheDir, shard!));
    writeFileSync(join(cacheDir, shard!, entry!), Buffer.alloc(3));
    expect([...(await embedder().embed(['a']))[0]!]).toEqual(vectorOf('a'));
    await embedder().embed(['a']);
    expect(server.requests).toHaveLength(2);
  });

  it('works without a cache directory, asking every time', async () => {
    const uncached = embedder({ cacheDir: undefined });
    await uncached.embed(['a']);
    await uncached.embed(['a']);
    expect(server.requests).toHaveLength(2);
  });

  it('retries a 500 and then succeeds', async () => {
    responses.push(() => ({ status: 500, body: { error: { message: 'overloaded' } } }));
    const [vector] = await embedder().embed(['retry me']);
    expect([...vector!]).toEqual(vectorOf('retry me'));
    expect(server.requests).toHaveLength(2);
  });

  it('retries a malformed response and accepts a later good one', async () => {
    responses.push(() => ({ body: { data: [{ index: 0 }] } }));
    expect(await embedder().embed(['x'])).toHaveLength(1);
    expect(server.requests).toHaveLength(2);
  });

  it('throws a typed error when responses stay malformed after its retries', async () => {
    const malformed = () => ({ body: { data: 'not a list' } });
    responses.push(malformed, malformed);
    const failure = embedder({ malformedRetries: 1 }).embed(['x']);
    await expect(failure).rejects.toThrow(EmbeddingError);
    await expect(failure).rejects.toMatchObject({ code: 'E_EMBEDDING_RESPONSE' });
    expect(server.requests).toHaveLength(2);
  });

  it('calls a response with the wrong number of embeddings malformed', async () => {
    const short = (body: Record<string, unknown>) => embeddings({ ...body, input: (body.input as string[]).slice(1) });
    responses.push(short);
    await expect(embedder({ malformedRetries: 0 }).embed(['x', 'y'])).rejects.toThrow(/1 embeddings .* for 2 inputs/);
  });

  it('refuses vectors of another dimension with a ConfigError that names the fix', async () => {
    await expect(embedder({ dimension: 8 }).embed(['x'])).rejects.toThrow(/set options.dimension to 4/);
  });

  it('wraps an HTTP error that is not retried as a typed request error', async () => {
    responses.push(() => ({ status: 401, body: { error: { message: 'bad key' } } }));
    await expect(embedder().embed(['x'])).rejects.toMatchObject({ code: 'E_EMBEDDING_REQUEST', message: expect.stringContaining('HTTP 401') });
  });

  it('needs a dimension for a model it does not know, and valid options', () => {
    expect(() => new OpenAiEmbedder(config())).toThrow(ConfigError);
    expect(() => embedder({ batchSize: 0 })).toThrow(/batchSize/);
  });
});
