import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CachedChatClient, LLM_TIMEOUT_MS, LlmError, retryAfterMs, type ChatRequest } from '../../../core/index.js';
import { apiError, chatCompletion, startFakeOpenAi, type FakeResponse } from '../../support/openai-server.js';

const request: ChatRequest = { model: 'test-model', messages: [{ role: 'user', content: 'Where is my order?', timestamp: '2024-01-01T00:00:00Z' }] };
const fast = { retryBaseMs: 1, maxRetryWaitMs: 50 };
let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups) await cleanup();
  cleanups = [];
});

/** A fake endpoint that answers the n-th chat request with `script[n]` (the last entry repeats). */
async function scripted(script: FakeResponse[]) {
  let calls = 0;
  const server = await startFakeOpenAi({ '/v1/chat/completions': () => script[Math.min(calls++, script.length - 1)]! });
  cleanups.push(server.close);
  return server;
}

function cacheDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ctxbench-chat-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function failure(promise: Promise<unknown>): Promise<LlmError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LlmError);
  return error as LlmError;
}

describe('CachedChatClient', () => {
  it('returns the model reply with the usage the endpoint billed', async () => {
    const server = await scripted([chatCompletion('It ships today.', { usage: { prompt: 12, completion: 4 } })]);
    const reply = await new CachedChatClient({ baseURL: server.baseURL, apiKey: 'k', model: 'test-model' }).complete(request);
    expect(reply).toEqual({ message: { content: 'It ships today.' }, usage: { promptTokens: 12, completionTokens: 4, cachedTokens: 0 }, cached: false });
  });

  it('sends only the API fields of each message and temperature 0', async () => {
    const server = await scripted([chatCompletion('ok')]);
    await new CachedChatClient({ baseURL: server.baseURL, apiKey: 'k', model: 'test-model' }).complete(request);
    expect(server.requests[0]!.body).toEqual({ model: 'test-model', messages: [{ role: 'user', content: 'Where is my order?' }], temperature: 0 });
  });

  it('serves a repeated request from the disk cache without calling the endpoint again, also from a new client', async () => {
    const server = await scripted([chatCompletion('cached answer')]);
    const dir = cacheDir();
    const config = { baseURL: server.baseURL, apiKey: 'k', model: 'test-model' };
    await new CachedChatClient(config, { cacheDir: dir }).complete(request);
    const again = await new CachedChatClient(config, { cacheDir: dir }).complete({ ...request, messages: [{ role: 'user', content: 'Where is my order?' }] });
    expect(again.cached).toBe(true);
    expect(again.message.content).toBe('cached answer');
    expect(server.requests).toHaveLength(1);
  });

  it('sends identical requests in flight at the same time once', async () => {
    const server = await scripted([{ ...chatCompletion('once'), delayMs: 50 }]);
    const client = new CachedChatClient({ baseURL: server.baseURL, apiKey: 'k', model: 'test-model' });
    const replies = await Promise.all([client.complete(request), client.complete(request)]);
    expect(replies.map((r) => r.message.content)).toEqual(['once', 'once']);
    expect(replies.filter((r) => r.cached)).toHaveLength(1);
    expect(server.requests).toHaveLength(1);
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    let active = 0;
    let peak = 0;
    const server = await startFakeOpenAi({
      '/v1/chat/completions': async () => {
        peak = Math.max(peak, ++active);
        await new Promise((resolve) => setTimeout(resolve, 30));
        active--;
        return chatCompletion('ok');
      },
    });
    cleanups.push(server.close);
    const client = new CachedChatClient({ baseURL: server.baseURL, apiKey: 'k', model: 'test-model' }, { concurrency: 2 });
    await Promise.all(Array.from({ length: 6 }, (_, i) => client.complete({ ...request, messages: [{ role: 'user', content: `question ${i}` }] })));
    expect(server.requests).toHaveLength(6);
    expect(peak).toBe(2);
  });

  it('keeps the cache apart per model', async () => {
    const server = await scripted([chatCompletion('from a'), chatCompletion('from b')]);
    const dir = cacheDir();
    const client = new CachedChatClient({ baseURL: server.baseURL, apiKey: 'k', model: 'a' }, { cacheDir: dir });
    await client.complete({ ...request, model: 'a' });
    expect((await client.complete({ ...request, model: 'b' })).message.content).toBe('from b');
  });

  it('retries a 429 after the Retry-After the server asked for', async () => {
    const server = await scripted([apiError(429, 'slow down', { 'retry-after-ms': '20' }), chatCompletion('after the wait')]);
    // Its own backoff would wait at least 30 s, past the call's 10 s bound: only the server's 20 ms get it through.
    const slowBackoff = { retryBaseMs: 60_000, maxRetryWaitMs: 60_000 };
    const reply = await new CachedChatClient({ baseURL: server.baseURL, apiKey: 'k', model: 'test-model', timeoutMs: 10_000 }, slowBackoff).complete(request);
    expect(reply.message.content).toBe('after the wait');
    expect(server.requests).toHaveLength(2);
  });

  it('retries 500s with backoff until the endpoint recovers', async () => {
    const server = await scripted([apiError(500, 'boom'), apiError(503, 'busy'), chatCompletion('recovered')]);
    const reply = await new CachedChatClient({ baseURL: server.baseURL, apiKey: 'k', model: 'test-model' }, fast).complete(request);
    expect(reply.message.content).toBe('recovered');
    expect(server.requests).toHaveLength(3);
  });

  it('gives up on 500s after maxRetries with E_LLM_FAILED naming the last status', async () => {
    const server = await scripted([apiError(500, 'boom')]);
    const error = await failure(new CachedChatClient({ baseURL: server.baseURL, apiKey: 'k', model: 'test-model' }, { ...fast, maxRetries: 2 }).complete(request));
    expect(error.code).toBe('E_LLM_FAILED');
    expect(error.message).toContain('HTTP 500');
    expect(error.fatal).toBe(false);
    expect(server.requests).toHaveLength(3);
  });

  it('retries a dropped connection', async () => {
    const server = await scripted([{ drop: true }, chatCompletion('second try')]);
    const reply = await new CachedChatClient({ baseURL: server.baseURL, apiKey: 'k', model: 'test-model' }, fast).complete(request);
    expect(reply.message.content).toBe('second try');
  });

  it('retries a malformed body, then fails with E_LLM_RESPONSE', async () => {
    const server = await scripted([{ raw: '{"choices": []}' }]);
    const error = await failure(new CachedChatClient({ baseURL: server.baseURL, apiKey: 'k', model: 'test-model' }, { ...fast, maxRetries: 1 }).complete(request));
    expect(error.code).toBe('E_LLM_RESPONSE');
    expect(server.requests).toHaveLength(2);
  });

  it('bounds the whole call, retries included, by timeoutMs', async () => {
    const server = await scripted([{ ...chatCompletion('too late'), delayMs: 5_000 }]);
    const error = await failure(new CachedChatClient({ baseURL: server.baseURL, apiKey: 'k', model: 'test-model', timeoutMs: 200 }, fast).complete(request));
    expect(error.code).toBe('E_LLM_TIMEOUT');
  });

  // Failed before the fix: the openai client under the chat client bounded every attempt by the
  // LLM parts' default of 10 s, whatever timeoutMs the chat call itself had.
  it('waits for a reply slower than the LLM parts\' 10 s attempt bound when its own timeout allows', async () => {
    const server = await scripted([{ ...chatCompletion('a long answer'), delayMs: LLM_TIMEOUT_MS + 500 }]);
    const reply = await new CachedChatClient({ baseURL: server.baseURL, apiKey: 'k', model: 'test-model' }, { ...fast, maxRetries: 0 }).complete(request);
    expect(reply.message.content).toBe('a long answer');
  });

  it('says the model is unknown on a 404, as a fatal error', async () => {
    const server = await scripted([apiError(404, 'model "nope" not found, try pulling it first')]);
    const error = await failure(new CachedChatClient({ baseURL: server.baseURL, apiKey: 'k', model: 'nope' }).complete({ ...request, model: 'nope' }));
    expect(error.code).toBe('E_LLM_MODEL');
    expect(error.fatal).toBe(true);
    expect(error.message).toContain('"nope"');
  });

  it('says the key was refused on a 401, as a fatal error', async () => {
    const server = await scripted([apiError(401, 'bad key')]);
    const error = await failure(new CachedChatClient({ baseURL: server.baseURL, apiKey: 'k', model: 'test-model' }).complete(request));
    expect(error.code).toBe('E_LLM_AUTH');
    expect(error.message).toContain('OPENAI_API_KEY');
  });

  it('does not retry a request the endpoint rejects as invalid', async () => {
    const server = await scripted([apiError(400, 'context length exceeded')]);
    const error = await failure(new CachedChatClient({ baseURL: server.baseURL, apiKey: 'k', model: 'test-model' }, fast).complete(request));
    expect(error.code).toBe('E_LLM_REJECTED');
    expect(server.requests).toHaveLength(1);
  });

  it('names the base URL when nothing listens there', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const baseURL = `http://127.0.0.1:${port}/v1`;
    const error = await failure(new CachedChatClient({ baseURL, apiKey: 'k', model: 'test-model' }, fast).complete(request));
    expect(error.code).toBe('E_LLM_UNREACHABLE');
    expect(error.message).toContain(baseURL);
  });

  it('writes one cache file per distinct request', async () => {
    const server = await scripted([chatCompletion('one')]);
    const dir = cacheDir();
    const client = new CachedChatClient({ baseURL: server.baseURL, apiKey: 'k', model: 'test-model' }, { cacheDir: dir });
    await client.complete(request);
    await client.complete({ ...request, max_tokens: 10 });
    expect(readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.json'))).toHaveLength(2);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds, milliseconds and HTTP dates', () => {
    expect(retryAfterMs(new Headers({ 'retry-after': '2' }))).toBe(2000);
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '150' }))).toBe(150);
    expect(retryAfterMs(new Headers({ 'retry-after': new Date(10_000).toUTCString() }), 4_000)).toBe(6000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
});
