import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A recorded request to the fake endpoint. */
export interface RecordedRequest {
  path: string;
  body: Record<string, unknown>;
}

/** What a route handler returns: a JSON body (status 200 unless given), or a misbehaviour. */
export interface FakeResponse {
  status?: number;
  body?: unknown;
  /** Extra response headers, e.g. `retry-after`. */
  headers?: Record<string, string>;
  /** Sent instead of the JSON of `body` (a malformed reply). */
  raw?: string;
  /** Waits this long before answering (a slow server). */
  delayMs?: number;
  /** Destroys the connection without answering (a dropped connection). */
  drop?: boolean;
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
    const response: FakeResponse = handler ? await handler(body, requests) : { status: 404, body: { error: { message: `no route ${path}` } } };
    if (response.delayMs) await new Promise((resolve) => setTimeout(resolve, response.delayMs));
    if (response.drop) {
      req.socket.destroy();
      return;
    }
    if (res.destroyed) return;
    res.writeHead(response.status ?? 200, { 'content-type': 'application/json', ...response.headers });
    res.end(response.raw ?? JSON.stringify(response.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A Chat Completions response whose message content is `content` (and tool calls, when given). */
export function chatCompletion(content: string | null, options: { toolCalls?: Array<{ name: string; arguments: string }>; usage?: { prompt: number; completion: number } } = {}): FakeResponse {
  const usage = options.usage ?? { prompt: 1, completion: 1 };
  const tool_calls = options.toolCalls?.map((call, i) => ({ id: `call_${i}`, type: 'function', function: call }));
  return {
    body: {
      id: 'chatcmpl-test',
      object: 'chat.completion',
      created: 0,
      model: 'test-model',
      choices: [{ index: 0, finish_reason: tool_calls ? 'tool_calls' : 'stop', message: { role: 'assistant', content, ...(tool_calls ? { tool_calls } : {}) } }],
      usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion },
    },
  };
}

/** An OpenAI-style error response. */
export function apiError(status: number, message: string, headers?: Record<string, string>): FakeResponse {
  return { status, body: { error: { message, type: 'error', code: null } }, ...(headers ? { headers } : {}) };
}
