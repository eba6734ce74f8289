import type { ChatMessage } from '../messages.js';
import { RuleExtractor, type Extractor } from './extraction.js';
import type { LongTermMemory, StoreResult } from './long-term.js';
import type { SessionRecord } from './short-term.js';

/** Options of {@link promoteSession}. */
export interface PromotionOptions {
  memory: LongTermMemory;
  /** @default new RuleExtractor() */
  extractor?: Extractor;
  /** Only memories at least this important are promoted. @default 0.5 */
  minImportance?: number;
}

/**
 * The middle tier's hand-over: runs the extractor over an ended session's summary and key facts
 * and stores the important memories in long-term memory, dated to the session (near-duplicates
 * update the memory they repeat). Returns what was stored and what the extractor skipped.
 */
export async function promoteSession(record: SessionRecord, { memory, extractor = new RuleExtractor(), minImportance = 0.5 }: PromotionOptions): Promise<{ stored: StoreResult[]; skipped: string[] }> {
  const conversation: ChatMessage[] = [record.summary, ...record.facts].filter((text) => text.trim() !== '').map((content) => ({ role: 'user', content }));
  const { memories, skipped } = await extractor.extract(conversation, record.userId);
  const important = memories.filter((m) => m.importance >= minImportance);
  const stored = await memory.storeMany(
    important.map((m) => ({ ...m, userId: record.userId, createdAt: m.createdAt ?? record.createdAt, metadata: { promotedFrom: record.id, extractor: extractor.name } })),
  );
  return { stored, skipped };
}
