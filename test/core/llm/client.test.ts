import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedChatClient, ConfigError, Deadline, LlmSummarizer, OpenAiEmbedder, sharedCounter, type LlmConfig } from '../../../core/index.js';

/** Runs `task` while the garbage collector is forced every few milliseconds. */
async function underGcPressure<T>(task: () => Promise<T>): Promise<T> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const timer = setInterval(gc, 10);
  try {
    return await task();
  } finally {
    clearInterval(timer);
  }
}

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
  });

  // Failed before the deadline held its own timer: AbortSignal.any() over AbortSignal.timeout()
  // was garbage-collected while the body stalled, and the call hung until the test timed out.
  it('is cut off while the garbage collector runs, in the summarizer and in the chat client', async () => {
    await underGcPressure(async () => {
      const summarizer = new LlmSummarizer(config, { counter: sharedCounter() });
      for (let i = 0; i < 3; i++) {
        await summarizer.summarize([{ role: 'user', content: 'My order ORD-1 arrived broken.' }], { previousSummary: '', maxTokens: 50 });
        expect(summarizer.lastFallbackReason).toMatch(/timeout/);
      }
      const client = new CachedChatClient(config, { maxRetries: 0 });
      await expect(client.complete({ model: 'test-model', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ code: 'E_LLM_TIMEOUT' });
    });
  });

  it('makes the embedder throw a typed error instead of hanging', async () => {
    const embedder = new OpenAiEmbedder({ ...config, model: 'text-embedding-3-small' });
    await expect(embedder.embed(['hello'])).rejects.toMatchObject({ code: 'E_EMBEDDING_REQUEST' });
  });
});

describe('Deadline', () => {
  it('aborts with a TimeoutError when its time runs out, and says it expired', async () => {
    const deadline = new Deadline(20);
    await new Promise((resolve) => deadline.signal.addEventListener('abort', resolve));
    expect(deadline.expired).toBe(true);
    expect((deadline.signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it('aborts with the outer reason when the outer signal aborts first, without expiring', () => {
    const outer = new AbortController();
    const deadline = new Deadline(60_000, outer.signal);
    outer.abort(new Error('stop'));
    expect(deadline.signal.aborted).toBe(true);
    expect((deadline.signal.reason as Error).message).toBe('stop');
    expect(deadline.expired).toBe(false);
    deadline.dispose();
  });

  it('starts aborted when the outer signal already is', () => {
    const outer = AbortSignal.abort(new Error('already'));
    expect(new Deadline(60_000, outer).signal.reason).toBe(outer.reason);
  });

  it('never aborts once disposed, and lets go of the outer signal', async () => {
    const outer = new AbortController();
    const deadline = new Deadline(10, outer.signal);
    deadline.dispose();
    await new Promise((resolve) => setTimeout(resolve, 40));
    outer.abort();
    expect(deadline.signal.aborted).toBe(false);
    expect(deadline.expired).toBe(false);
  });
});

describe('an LLM configuration', () => {
  it('is refused with a timeout longer than Node keeps a timer (it would fire at once) or below 1 ms', () => {
    expect(() => new LlmSummarizer({ ...config, timeoutMs: 3_000_000_000 }, { counter: sharedCounter() })).toThrow(ConfigError);
    expect(() => new CachedChatClient({ ...config, timeoutMs: 0.5 })).toThrow(/timeoutMs 0.5 is not a whole number of milliseconds from 1 to 2147483647/);
  });
});
