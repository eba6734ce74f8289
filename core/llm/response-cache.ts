import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { canonicalJson } from '../text/canonical-json.js';
import { writeTextAtomically } from '../fs.js';

const toolCallSchema = z.object({ id: z.string(), type: z.literal('function'), function: z.object({ name: z.string(), arguments: z.string() }) });

/** A chat reply as ctxbench keeps it: the assistant message and what the call was billed. */
export const chatReplySchema = z.object({
  message: z.object({ content: z.string().nullable(), tool_calls: z.array(toolCallSchema).optional() }),
  usage: z.object({ promptTokens: z.number().int().min(0), completionTokens: z.number().int().min(0), cachedTokens: z.number().int().min(0) }),
});

export type CachedChatReply = z.infer<typeof chatReplySchema>;

/** The cache key of a request: sha256 of the model and the request's canonical JSON (key order does not matter). */
export function requestKey(model: string, request: unknown): string {
  return createHash('sha256').update(`${model}\0${canonicalJson(request)}`).digest('hex');
}

/**
 * Replies on disk, one JSON file per request key (`<dir>/<2 hex>/<key>.json`), written atomically
 * as each reply arrives, so an interrupted run resumes from what it already paid for.
 */
export class ResponseCache {
  constructor(readonly dir: string) {}

  private path(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  /** The cached reply, or undefined when absent or unreadable (a damaged entry is fetched again and overwritten). */
  get(key: string): CachedChatReply | undefined {
    let text: string;
    try {
      text = readFileSync(this.path(key), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const parsed = chatReplySchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  set(key: string, reply: CachedChatReply): void {
    writeTextAtomically(this.path(key), `${JSON.stringify(reply)}\n`);
  }
}
