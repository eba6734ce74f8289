import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlmSummarizer, OpenAiEmbedder, sharedCounter, type LlmConfig } from '../../../core/index.js';

let server: Server;
let requests = 0;
let config: LlmConfig;

beforeAll(async () => {
  // Sends the headers and a first byte of the body, then never finishes it.
  server = createServer((_request, response) => {
    requests++;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.write('{"choices": [');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  config = { baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, apiKey: 'test', model: 'test-model', timeoutMs: 300, maxRetries: 1 };
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('an endpoint that sends headers and then stalls the body', () => {
  it('is cut off, and the summarizer falls back to its offline counterpart saying why', async () => {
    const summarizer = new LlmSummarizer(config, { counter: sharedCounter() });
    const summary = await summarizer.summarize([{ role: 'user', content: 'My order ORD-1 arrived broken, I want a refund.' }], { previousSummary: '', maxTokens: 50 });
    expect(summary).toContain('ORD-1');
    expect(summarizer.lastFallbackReason).toBeDefined();
  }, 20_000);

  it('makes the embedder throw a typed error instead of hanging', async () => {
    const embedder = new OpenAiEmbedder({ ...config, model: 'text-embedding-3-small' });
    await expect(embedder.embed(['hello'])).rejects.toMatchObject({ code: 'E_EMBEDDING_REQUEST' });
  }, 20_000);
});
