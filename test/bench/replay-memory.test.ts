import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeChatLog } from '../../bench/replay-memory.js';
import { openAiJsonl } from '../../datasets/openai-jsonl.js';

describe('the memory benchmark chat log', () => {
  it('is a valid chat log of the asked size with every conversation under its own id', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ctxbench-chat-log-')), 'log.jsonl');
    const conversations = writeChatLog(file, 60_000);
    expect(statSync(file).size).toBeGreaterThanOrEqual(60_000);
    const { episodes } = await openAiJsonl.load({ file });
    expect(episodes).toHaveLength(conversations);
    expect(new Set(episodes.map((e) => e.id)).size).toBe(conversations);
    expect(new Set(episodes.map((e) => e.userId)).size).toBe(conversations);
  });
});
