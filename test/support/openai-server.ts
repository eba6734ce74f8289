import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A recorded request to the fake endpoint. */
export interface RecordedRequest {
  path: string;
  body: Record<string, unknown>;
}

/** What a route handler returns: a JSON body (status 200 unless given). */
export interface FakeResponse {
  status?: number;
  body: unknown;
}

type Handler = (body: Record<string, unknown>, request: RecordedRequest[]) => FakeResponse | Promise<FakeResponse>;

/**
 * An OpenAI-compatible HTTP server on 127.0.0.1 for tests: the only network double ctxbench uses.
 * Routes are keyed by path (`/v1/chat/completions`, `/v1/embeddings`); unknown paths answer 404.
 */
export async function startFakeOpenAi(routes: Record<string, Handler>): Promise<{ baseURL: string; requests: RecordedRequest[]; close: () => Promise<void> }> {
  const requests: RecordedRequest[] = [];
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    const path = (req.url ?? '').split('?')[0]!;
    requests.push({ path, body });
    const handler = routes[path];
    const response = handler ? await handler(body, requests) : { status: 404, body: { error: { message: `no route ${path}` } } };
    res.writeHead(response.status ?? 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(response.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A Chat Completions response whose message content is `content`. */
export function chatCompletion(content: string): FakeResponse {
  return {
    body: {
      id: 'chatcmpl-test',
      object: 'chat.completion',
      created: 0,
      model: 'test-model',
      choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    },
  };
}
