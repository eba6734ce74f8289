import { describe, expect, it } from 'vitest';
import { HashingEmbedder, LongTermMemory, promoteSession, ShortTermMemory } from '../../../core/index.js';

const now = () => new Date('2024-03-01T12:00:00Z');

describe('promoting a session to long-term memory', () => {
  it('stores the important facts of an ended session, dated to the session and traced to it', async () => {
    const shortTerm = new ShortTermMemory({ now });
    const record = shortTerm.endSession({
      userId: 'mia',
      sessionId: 's1',
      summary: 'The customer asked to change the flight of reservation ZFA04Y.',
      facts: ['I prefer aisle seats on every flight.', 'My email is mia.li@example.com.'],
    });
    const memory = new LongTermMemory({ embedder: new HashingEmbedder(), now });
    const { stored } = await promoteSession(record, { memory });
    expect(stored.length).toBeGreaterThan(0);
    const contents = (await memory.list('mia')).map((m) => m.content).join('\n');
    expect(contents).toMatch(/aisle/);
    expect((await memory.list('mia')).every((m) => m.metadata.promotedFrom === record.id && m.createdAt === record.createdAt)).toBe(true);
    expect(await memory.list('someone-else')).toEqual([]);
  });

  it('promotes nothing below the importance floor, and the same session twice adds no copies', async () => {
    const shortTerm = new ShortTermMemory({ now });
    const record = shortTerm.endSession({ userId: 'ann', sessionId: 's1', summary: 'I prefer email over phone calls.', facts: [] });
    const memory = new LongTermMemory({ embedder: new HashingEmbedder(), now });
    expect((await promoteSession(record, { memory, minImportance: 1.01 })).stored).toEqual([]);
    await promoteSession(record, { memory });
    const count = await memory.count('ann');
    await promoteSession(record, { memory });
    expect(await memory.count('ann')).toBe(count);
  });
});
