import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, InputError } from '../../../core/index.js';
import { CorruptStoreError, ShortTermMemory, type SessionEnd } from '../../../core/memory/short-term.js';

const DAY = 86_400_000;
const START = Date.parse('2024-05-01T00:00:00.000Z');

/** A clock the test moves by hand. */
function manualClock() {
  let time = START;
  return { now: () => new Date(time), advanceDays: (days: number) => (time += days * DAY) };
}

const session = (userId: string, sessionId: string, summary = `Session ${sessionId}.`, facts: string[] = []): SessionEnd => ({ userId, sessionId, summary, facts });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ctxbench-short-term-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('session records and expiry', () => {
  it('records a session that expires ttlDays after it ended, by the injected clock', () => {
    const clock = manualClock();
    const memory = new ShortTermMemory({ now: clock.now, ttlDays: 10 });
    const record = memory.endSession(session('mia_li_3668', 's1', 'Booked HAT136.', ['prefers aisle seats']));
    expect(record).toEqual({
      id: 'mia_li_3668:s1',
      userId: 'mia_li_3668',
      sessionId: 's1',
      summary: 'Booked HAT136.',
      facts: ['prefers aisle seats'],
      createdAt: '2024-05-01T00:00:00.000Z',
      expiresAt: '2024-05-11T00:00:00.000Z',
    });
  });

  it('keeps a record for 30 days by default, counted from endedAt when given', () => {
    const memory = new ShortTermMemory({ now: manualClock().now });
    const record = memory.endSession({ ...session('u', 's1'), endedAt: '2024-04-20T12:00:00Z' });
    expect(record).toMatchObject({ createdAt: '2024-04-20T12:00:00.000Z', expiresAt: '2024-05-20T12:00:00.000Z' });
  });

  it('never returns a record once it has expired', () => {
    const clock = manualClock();
    const memory = new ShortTermMemory({ now: clock.now, ttlDays: 5 });
    memory.endSession(session('u', 's1'));
    clock.advanceDays(4.9);
    expect(memory.recent('u')).toHaveLength(1);
    clock.advanceDays(0.1);
    expect(memory.recent('u')).toEqual([]);
  });

  it('purges expired records from disk on the next write', () => {
    const clock = manualClock();
    const memory = new ShortTermMemory({ directory: dir, now: clock.now, ttlDays: 5 });
    memory.endSession(session('old', 's1'));
    memory.endSession(session('kept', 's1'));
    clock.advanceDays(3);
    memory.endSession(session('kept', 's2'));
    clock.advanceDays(3);
    memory.endSession(session('new', 's1'));
    expect(readdirSync(dir).sort()).toEqual(['kept.json', 'new.json']);
    expect(JSON.parse(readFileSync(join(dir, 'kept.json'), 'utf8')).records.map((r: { sessionId: string }) => r.sessionId)).toEqual(['s2']);
  });

  it('purges expired records on request and says how many went', () => {
    const clock = manualClock();
    const memory = new ShortTermMemory({ directory: dir, now: clock.now, ttlDays: 1 });
    memory.endSession(session('a', 's1'));
    memory.endSession(session('b', 's1'));
    clock.advanceDays(2);
    expect(memory.purgeExpired()).toBe(2);
    expect(memory.purgeExpired()).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('replaces the record of a session that ends twice', () => {
    const clock = manualClock();
    const memory = new ShortTermMemory({ now: clock.now });
    memory.endSession(session('u', 's1', 'Compacted: asked about baggage.'));
    clock.advanceDays(0.01);
    memory.endSession(session('u', 's1', 'Ended: added one bag for $35.'));
    expect(memory.recent('u', { k: 10 }).map((r) => r.summary)).toEqual(['Ended: added one bag for $35.']);
  });

  it('rejects an invalid session end or option naming the key', () => {
    const memory = new ShortTermMemory();
    expect(() => memory.endSession({ ...session('', 's1') })).toThrow(InputError);
    expect(() => memory.endSession({ ...session('u', 's1'), endedAt: 'yesterday' })).toThrow(/endedAt/);
    expect(() => new ShortTermMemory({ ttlDays: 0 })).toThrow(ConfigError);
    expect(() => new ShortTermMemory({ relevanceWeight: 2 })).toThrow(/relevanceWeight = 2/);
  });
});

describe('retrieval by recency and relevance', () => {
  function history() {
    const clock = manualClock();
    const memory = new ShortTermMemory({ now: clock.now });
    memory.endSession(session('u', 'baggage', 'Added a checked bag to reservation NO6JO3.', ['paid $35 for baggage']));
    clock.advanceDays(5);
    memory.endSession(session('u', 'seat', 'Changed seat to an aisle seat on HAT136.'));
    clock.advanceDays(5);
    memory.endSession(session('u', 'address', 'Updated the mailing address to Austin, TX.'));
    clock.advanceDays(1);
    return memory;
  }

  it('returns the newest sessions first when there is no query', () => {
    expect(history().recent('u').map((r) => r.sessionId)).toEqual(['address', 'seat', 'baggage']);
  });

  it('ranks a relevant older session above unrelated newer ones', () => {
    expect(history().recent('u', { query: 'checked baggage fee' })[0]!.sessionId).toBe('baggage');
  });

  it('prefers the newer of two equally relevant sessions', () => {
    const clock = manualClock();
    const memory = new ShortTermMemory({ now: clock.now });
    memory.endSession(session('u', 'first', 'Asked about a refund.'));
    clock.advanceDays(2);
    memory.endSession(session('u', 'second', 'Asked about a refund.'));
    expect(memory.recent('u', { query: 'refund' }).map((r) => r.sessionId)).toEqual(['second', 'first']);
  });

  it('returns at most k records, three by default', () => {
    const memory = history();
    memory.endSession(session('u', 'fourth'));
    expect(memory.recent('u')).toHaveLength(3);
    expect(memory.recent('u', { k: 1 })).toHaveLength(1);
    expect(memory.recent('u', { k: 10 })).toHaveLength(4);
  });

  it('hands out copies that cannot change the store', () => {
    const memory = history();
    memory.recent('u')[0]!.facts.push('forged');
    expect(memory.recent('u')[0]!.facts).toEqual([]);
  });

  it('never returns another user\'s records (property)', () => {
    const end = fc.record({ userId: fc.constantFrom('ann', 'Ann', 'bob', 'a/b'), sessionId: fc.constantFrom('s1', 's2', 's3'), summary: fc.constantFrom('refund', 'baggage', 'seat'), facts: fc.constant([] as string[]) });
    fc.assert(
      fc.property(fc.array(end, { maxLength: 20 }), fc.constantFrom('ann', 'Ann', 'bob', 'a/b', 'nobody'), fc.constantFrom(undefined, 'refund', 'seat'), (ends, reader, query) => {
        const memory = new ShortTermMemory({ now: manualClock().now });
        for (const e of ends) memory.endSession(e);
        const found = memory.recent(reader, { query, k: 100 });
        expect(found.every((record) => record.userId === reader)).toBe(true);
        expect(found).toHaveLength(new Set(ends.filter((e) => e.userId === reader).map((e) => e.sessionId)).size);
      }),
      { numRuns: 200 },
    );
  });
});

describe('persistence', () => {
  it('reloads its records when the directory is opened again', () => {
    const clock = manualClock();
    const first = new ShortTermMemory({ directory: dir, now: clock.now });
    first.endSession(session('mia_li_3668', 's1', 'Booked HAT136.', ['user id mia_li_3668']));
    first.endSession(session('bob', 's9'));
    const reopened = new ShortTermMemory({ directory: dir, now: clock.now });
    expect(reopened.recent('mia_li_3668')).toEqual(first.recent('mia_li_3668'));
    expect(reopened.recent('bob')).toEqual(first.recent('bob'));
  });

  it('creates a missing directory and leaves only whole user files behind', () => {
    const nested = join(dir, 'memory', 'short-term');
    const memory = new ShortTermMemory({ directory: nested, now: manualClock().now });
    memory.endSession(session('u', 's1'));
    memory.endSession(session('u', 's2'));
    expect(readdirSync(nested)).toEqual(['u.json']);
  });

  it('keeps user ids that differ only in case, or hold path characters, in separate files inside the directory', () => {
    const memory = new ShortTermMemory({ directory: dir, now: manualClock().now });
    for (const userId of ['mia', 'Mia', '../mia', 'mía']) memory.endSession(session(userId, 's1', `summary of ${userId}`));
    expect(readdirSync(dir).sort()).toEqual(['%2E%2E%2Fmia.json', '%4Dia.json', 'm%C3%ADa.json', 'mia.json']);
    const reopened = new ShortTermMemory({ directory: dir, now: manualClock().now });
    expect(reopened.recent('../mia')[0]!.summary).toBe('summary of ../mia');
  });

  it('raises a typed error naming a file that is not valid JSON', () => {
    writeFileSync(join(dir, 'mia.json'), '{"version": 1, "userId": "mia", "rec');
    const error = (() => {
      try {
        new ShortTermMemory({ directory: dir });
      } catch (e) {
        return e;
      }
    })() as CorruptStoreError;
    expect(error).toBeInstanceOf(CorruptStoreError);
    expect(error.code).toBe('E_CORRUPT_STORE');
    expect(error.file).toBe(join(dir, 'mia.json'));
    expect(error.message).toContain('is not valid JSON');
  });

  it('raises a typed error naming the file and the key of a malformed record', () => {
    writeFileSync(join(dir, 'mia.json'), JSON.stringify({ version: 1, userId: 'mia', records: [{ id: 'mia:s1', userId: 'mia', sessionId: 's1', summary: 's', facts: [], createdAt: 'soon', expiresAt: '2024-05-01T00:00:00Z' }] }));
    expect(() => new ShortTermMemory({ directory: dir })).toThrow(/mia\.json: records\.0\.createdAt must be an ISO 8601 date/);
  });

  it('refuses a file that holds another user\'s records', () => {
    const record = { id: 'bob:s1', userId: 'bob', sessionId: 's1', summary: 's', facts: [], createdAt: '2024-05-01T00:00:00Z', expiresAt: '2024-05-31T00:00:00Z' };
    writeFileSync(join(dir, 'mia.json'), JSON.stringify({ version: 1, userId: 'mia', records: [record] }));
    expect(() => new ShortTermMemory({ directory: dir })).toThrow(/belongs to user "bob"/);
    writeFileSync(join(dir, 'mia.json'), JSON.stringify({ version: 1, userId: 'bob', records: [record] }));
    expect(() => new ShortTermMemory({ directory: dir })).toThrow(/holds user "bob", whose file is bob\.json/);
  });
});
