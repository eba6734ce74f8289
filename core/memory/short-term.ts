import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, InputError } from '../errors.js';
import { LexicalIndex } from '../retrieval/lexical.js';
import { firstIssue } from '../validation.js';
import { parseOrThrow, shown } from './options.js';
import { CorruptStoreError, readStoreJson, writeStoreJson } from './json-files.js';

export { CorruptStoreError } from './json-files.js';

/** One ended (or compacted) session of one user, kept until it expires. */
export interface SessionRecord {
  /** `${userId}:${sessionId}`: a session that ends twice replaces its record. */
  id: string;
  userId: string;
  sessionId: string;
  summary: string;
  facts: string[];
  /** When the session ended (ISO 8601). */
  createdAt: string;
  /** When the record stops being returned (ISO 8601). */
  expiresAt: string;
}

/** What {@link ShortTermMemory.endSession} records. */
export interface SessionEnd {
  userId: string;
  sessionId: string;
  summary: string;
  facts: readonly string[];
  /** @default now() */
  endedAt?: Date | string;
}

/** Options of a {@link ShortTermMemory}. */
export interface ShortTermMemoryOptions {
  /** Where records persist, one JSON file per user; in memory only when absent. */
  directory?: string;
  /** Days a record lives after its session ended, at most {@link MAX_TTL_DAYS}. @default 30 */
  ttlDays?: number;
  /** The clock every age and expiry is measured against. @default () => new Date() */
  now?: () => Date;
  /** Days after which a record's recency score halves. @default 7 */
  halfLifeDays?: number;
  /** Weight of relevance against recency in {@link ShortTermMemory.recent}, 0..1. @default 0.5 */
  relevanceWeight?: number;
}

const DAY_MS = 86_400_000;

/** The longest ttlDays: about 2,700 years, far inside the dates JavaScript can represent. */
export const MAX_TTL_DAYS = 1_000_000;

const OPTION_KEYS = ['directory', 'ttlDays', 'now', 'halfLifeDays', 'relevanceWeight'];
const optionsSchema = z.strictObject({
  ttlDays: z.number('must be a number of days').positive('must be more than zero days').max(MAX_TTL_DAYS, `must be at most ${MAX_TTL_DAYS.toLocaleString('en-US')} days`).default(30),
  halfLifeDays: z.number().positive('must be more than zero days').default(7),
  relevanceWeight: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').default(0.5),
});

const isoDate = z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO 8601 date');
const recordSchema = z.object({
  id: z.string(),
  userId: z.string(),
  sessionId: z.string(),
  summary: z.string(),
  facts: z.array(z.string()),
  createdAt: isoDate,
  expiresAt: isoDate,
});
const fileSchema = z.object({ version: z.literal(1), userId: z.string().min(1), records: z.array(recordSchema) });

const recentSchema = z.strictObject({
  query: z.string('must be text').optional(),
  k: z.number('must be a whole number, 0 or more').int('must be a whole number, 0 or more').min(0, 'must be a whole number, 0 or more').optional(),
});

const endSchema = z.object({
  userId: z.string().min(1, 'must not be empty'),
  sessionId: z.string().min(1, 'must not be empty'),
  summary: z.string(),
  facts: z.array(z.string()),
  endedAt: z.union([z.date(), isoDate]).optional(),
});

/**
 * What happened in each customer's recent sessions: one record per ended session, kept for
 * `ttlDays`, retrieved per user by recency and relevance. Expired records are never returned
 * and are purged from disk whenever the store writes. Files are written atomically (temp file
 * plus rename) and re-read when a store opens the directory.
 */
export class ShortTermMemory {
  private readonly byUser = new Map<string, SessionRecord[]>();
  private readonly settings: z.infer<typeof optionsSchema>;
  private readonly directory: string | undefined;
  private readonly now: () => Date;

  /** @throws ConfigError for an invalid option; CorruptStoreError for a malformed file in `directory`. */
  constructor(options: ShortTermMemoryOptions = {}) {
    const { directory, now, ...settings } = options;
    this.settings = parseOrThrow(optionsSchema, settings, {
      what: 'invalid short-term memory option',
      hint: `leave it out for the default or pass a value in range (ttlDays 0 < days <= ${MAX_TTL_DAYS}, relevanceWeight 0..1)`,
      error: ConfigError,
      known: { '': OPTION_KEYS },
    });
    this.now = now ?? (() => new Date());
    this.directory = directory;
    if (directory !== undefined) this.load(directory);
  }

  /** Records a session's summary and facts, replacing an earlier record of the same session, and purges expired records. */
  endSession(end: SessionEnd): SessionRecord {
    const parsed = endSchema.safeParse(end);
    if (!parsed.success) {
      const issue = firstIssue(end, parsed.error);
      throw new InputError(`invalid session end: ${issue.key} ${issue.problem}`, 'pass userId, sessionId, summary and facts (endedAt is optional)');
    }
    const { userId, sessionId, summary, facts, endedAt } = parsed.data;
    const created = endedAt === undefined ? this.now() : new Date(endedAt);
    const expires = new Date(created.getTime() + this.settings.ttlDays * DAY_MS);
    if (Number.isNaN(expires.getTime())) {
      throw new InputError(`invalid session end: endedAt = ${shown(endedAt ?? created)} plus ttlDays ${this.settings.ttlDays} is past the last date JavaScript can represent`, 'pass a real end date, or a shorter ttlDays');
    }
    const record: SessionRecord = {
      id: `${userId}:${sessionId}`,
      userId,
      sessionId,
      summary,
      facts: [...facts],
      createdAt: created.toISOString(),
      expiresAt: expires.toISOString(),
    };
    const others = (this.byUser.get(userId) ?? []).filter((r) => r.id !== record.id);
    this.byUser.set(userId, [...others, record].sort(byCreation));
    for (const changed of new Set([...this.dropExpired().users, userId])) this.persist(changed);
    return copyOf(record);
  }

  /**
   * The user's unexpired records, best first, at most `k`. Score = (1 - relevanceWeight) x recency
   * + relevanceWeight x relevance, where recency = 0.5^(age in days / halfLifeDays) and relevance is
   * the BM25 score of summary and facts for `query`, divided by the best score among the user's
   * records (0 without a query). Ties go to the newer record, then to the later id. `k: 0` returns none.
   * @throws InputError for a k that is not a whole number 0 or more, a query that is not text, or an unknown option.
   */
  recent(userId: string, options: { query?: string; k?: number } = {}): SessionRecord[] {
    if (typeof userId !== 'string') throw new InputError(`invalid recent(): userId = ${shown(userId)} must be a string`, 'pass the user whose sessions to return');
    const { query, k = 3 } = parseOrThrow(recentSchema, options, {
      what: 'invalid recent() option',
      hint: 'pass { query?, k? }: k a whole number of records, 0 or more (default 3)',
      error: InputError,
      known: { '': ['query', 'k'] },
    });
    const now = this.now().getTime();
    const live = (this.byUser.get(userId) ?? []).filter((record) => isLive(record, now));
    const relevance = relevanceOf(live, query ?? '');
    const { halfLifeDays, relevanceWeight } = this.settings;
    return live
      .map((record) => {
        const ageDays = Math.max(0, now - Date.parse(record.createdAt)) / DAY_MS;
        return { record, score: (1 - relevanceWeight) * 0.5 ** (ageDays / halfLifeDays) + relevanceWeight * (relevance.get(record.id) ?? 0) };
      })
      .sort((a, b) => b.score - a.score || byCreation(b.record, a.record))
      .slice(0, k)
      .map(({ record }) => copyOf(record));
  }

  /** Removes every expired record, from memory and disk; returns how many went. */
  purgeExpired(): number {
    const { users, dropped } = this.dropExpired();
    for (const userId of users) this.persist(userId);
    return dropped;
  }

  /** Drops expired records from memory: the users whose records changed, and how many records went. */
  private dropExpired(): { users: string[]; dropped: number } {
    const now = this.now().getTime();
    const users: string[] = [];
    let dropped = 0;
    for (const [userId, records] of this.byUser) {
      const live = records.filter((record) => isLive(record, now));
      if (live.length === records.length) continue;
      users.push(userId);
      dropped += records.length - live.length;
      if (live.length === 0) this.byUser.delete(userId);
      else this.byUser.set(userId, live);
    }
    return { users, dropped };
  }

  private load(directory: string): void {
    mkdirSync(directory, { recursive: true });
    for (const name of readdirSync(directory).filter((entry) => entry.endsWith('.json')).sort()) {
      const file = join(directory, name);
      const { userId, records } = readStoreJson(file, fileSchema);
      if (fileNameOf(userId) !== name) throw new CorruptStoreError(file, `holds user "${userId}", whose file is ${fileNameOf(userId)}`);
      const stranger = records.find((record) => record.userId !== userId);
      if (stranger) throw new CorruptStoreError(file, `record ${stranger.id} belongs to user "${stranger.userId}", not "${userId}"`);
      this.byUser.set(userId, records.sort(byCreation));
    }
  }

  private persist(userId: string): void {
    if (this.directory === undefined) return;
    const file = join(this.directory, fileNameOf(userId));
    const records = this.byUser.get(userId);
    if (!records) {
      rmSync(file, { force: true });
      return;
    }
    writeStoreJson(file, { version: 1, userId, records }, 2);
  }
}

function copyOf(record: SessionRecord): SessionRecord {
  return { ...record, facts: [...record.facts] };
}

function isLive(record: SessionRecord, now: number): boolean {
  return Date.parse(record.expiresAt) > now;
}

function byCreation(a: SessionRecord, b: SessionRecord): number {
  return Date.parse(a.createdAt) - Date.parse(b.createdAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function relevanceOf(records: readonly SessionRecord[], query: string): Map<string, number> {
  if (query.trim() === '' || records.length === 0) return new Map();
  const index = new LexicalIndex();
  index.add(records.map((record) => ({ id: record.id, text: [record.summary, ...record.facts].join('\n') })));
  const hits = index.search(query, records.length);
  const best = hits[0]?.score ?? 0;
  return new Map(hits.map((hit) => [hit.id, best > 0 ? hit.score / best : 0]));
}

/**
 * A user's file name: lowercase letters, digits, `_` and `-` as they are, every other byte as
 * `%XX`, so names are distinct even on case-insensitive file systems and never leave the directory.
 */
function fileNameOf(userId: string): string {
  const safe = Array.from(new TextEncoder().encode(userId), (byte) => {
    const char = String.fromCharCode(byte);
    return /[a-z0-9_-]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
  if (safe.length > 200) throw new InputError(`user id "${userId.slice(0, 40)}…" is too long to name a file`, 'use user ids under 200 bytes, or hash longer ones');
  return `${safe}.json`;
}
