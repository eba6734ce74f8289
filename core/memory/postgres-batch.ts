import type { StoreResult } from './long-term.js';
import { contentKey, mergeDuplicate, SIMILARITY_TOLERANCE, type AddOptions, type MemoryDraft } from './memory-store.js';
import { MEMORY_COLUMNS, memoryOf, vectorSql, type MemoryRow } from './postgres-rows.js';
import { MEMORY_TABLE, type SqlQueryable } from './postgres-schema.js';
import type { Memory } from './types.js';

/** A memory to write: validated, with its vector. */
export interface BatchEntry {
  draft: MemoryDraft;
  vector: Float32Array;
}

/**
 * Entries resolved and written per round: bounds the size of a statement and the pairs of one
 * user's entries the database compares with each other (quadratic within a round).
 */
const ROUND = 500;

/** A row this round adds or changes, as it will be once the round's writes run. */
interface Touched {
  memory: Memory;
  /** The entry of the round whose vector the row now holds. */
  entry: number;
  vector: Float32Array;
  key: string;
  /** The row id of an existing row; undefined for a row this round adds until it is inserted. */
  rowId: string | undefined;
  /** Position among the round's new rows (they get ids in this order, after every existing row). */
  added: number | undefined;
}

/** What one entry did, to be reported once the new rows have ids. */
interface Outcome {
  row: Touched;
  memory: Memory;
  action: StoreResult['action'];
}

/**
 * Writes a batch inside an open transaction whose users are locked, ending in the same rows as one
 * write per entry would: each entry is merged into the row of its user with the same normalized
 * content (lowest id), else into the nearest row by cosine at or above the threshold, else added,
 * with rows written earlier in the batch counted. Per round of up to 500 entries: one query finds
 * the same-content rows; one (skipped when the threshold is above 1) finds each entry's nearest
 * existing row and which earlier entries of the round lie at or above the threshold from it, all
 * similarities computed by pgvector, so a value on the threshold decides as it would one by one;
 * one INSERT ... SELECT FROM unnest(...) adds the new rows, one UPDATE the merged ones.
 */
export async function writeBatch(tx: SqlQueryable, entries: readonly BatchEntry[], options: AddOptions): Promise<StoreResult[]> {
  const results: StoreResult[] = [];
  for (let start = 0; start < entries.length; start += ROUND) results.push(...(await writeRound(tx, entries.slice(start, start + ROUND), options)));
  return results;
}

async function writeRound(tx: SqlQueryable, entries: readonly BatchEntry[], options: AddOptions): Promise<StoreResult[]> {
  const keys = entries.map((entry) => contentKey(entry.draft.content));
  const sameContent = await rowsWithContent(tx, entries, keys);
  const vectorChecked = options.dedupThreshold <= 1;
  const asked = entries.map((entry, i) => !sameContent.has(pairKey(entry.draft.userId, keys[i]!)));
  const similar = vectorChecked ? await similarTo(tx, entries, asked, options.dedupThreshold) : [];
  const round = new Round();
  const outcomes: Outcome[] = [];
  for (const [i, { draft, vector }] of entries.entries()) {
    const key = keys[i]!;
    const createdAt = draft.createdAt ?? options.now;
    const vectorMatch = () => round.nearest(tx, draft.userId, vector, { ...similar[i]!, asked: asked[i]! }, options.dedupThreshold);
    const duplicate = round.sameContent(draft.userId, key, sameContent.get(pairKey(draft.userId, key)) ?? []) ?? (vectorChecked ? await vectorMatch() : undefined);
    if (duplicate) {
      const row = round.merge(duplicate, (memory) => mergeDuplicate(memory, draft, createdAt, options.now), i, vector, key);
      outcomes.push({ row, memory: row.memory, action: 'updated' });
    } else {
      const row = round.add({ id: '', userId: draft.userId, content: draft.content, type: draft.type, importance: draft.importance, createdAt, updatedAt: options.now, metadata: draft.metadata }, i, vector, key);
      outcomes.push({ row, memory: row.memory, action: 'added' });
    }
  }
  await insertRows(tx, round.added);
  await updateRows(tx, round.changed());
  return outcomes.map(({ row, memory, action }) => ({ memory: { ...memory, id: `m${row.rowId}` }, action }));
}

/** A row an entry may merge into: one the round has touched, or an existing row as the database holds it. */
type Candidate = Touched | ExistingRow;

/** The rows a round has added or changed so far. */
class Round {
  /** New rows, in the order they were added (and will get ids). */
  readonly added: Touched[] = [];
  private readonly byUser = new Map<string, Touched[]>();
  private readonly existing = new Map<string, Touched>();
  /** Entry -> the row holding that entry's vector now. */
  private readonly holders = new Map<number, Touched>();

  /** The user's row with this content now, lowest id first: a touched row whose content is now `key`, or an untouched row that had it. */
  sameContent(userId: string, key: string, before: readonly ExistingRow[]): Candidate | undefined {
    const untouched = before.find((row) => !this.existing.has(row.id));
    const touched = this.rowsOf(userId).filter((row) => row.key === key).sort(byId)[0];
    if (!untouched || !touched) return untouched ?? touched;
    return touched.rowId !== undefined && BigInt(touched.rowId) < BigInt(untouched.id) ? touched : untouched;
  }

  /**
   * The row nearest to `vector` now, when at or above the threshold: the nearest existing row from
   * before the round (asked again, without the rows the round changed, when that answer is one of
   * them or was not asked for), against the round's rows holding the vectors of the earlier entries
   * found at or above the threshold.
   */
  async nearest(tx: SqlQueryable, userId: string, vector: Float32Array, before: Similar & { asked: boolean }, threshold: number): Promise<Candidate | undefined> {
    const fresh = before.asked && !(before.nearest && this.existing.has(before.nearest.row.id));
    const current = fresh ? before.nearest : await nearestUntouched(tx, userId, vector, this.changedIdsOf(userId));
    let best: { candidate: Candidate; similarity: number } | undefined = current && { candidate: current.row, similarity: current.similarity };
    for (const { entry, similarity } of before.earlier) {
      const row = this.holders.get(entry);
      if (row && (!best || similarity > best.similarity)) best = { candidate: row, similarity };
    }
    return best && best.similarity >= threshold - SIMILARITY_TOLERANCE ? best.candidate : undefined;
  }

  /** Merges entry `entry` into a candidate; the row takes the entry's vector and content key. */
  merge(candidate: Candidate, merged: (memory: Memory) => Memory, entry: number, vector: Float32Array, key: string): Touched {
    const row = 'memory' in candidate ? candidate : this.touch(candidate, entry, vector);
    this.holders.delete(row.entry);
    this.holders.set(entry, row);
    row.memory = normalized(merged(row.memory));
    Object.assign(row, { entry, vector, key });
    return row;
  }

  add(memory: Memory, entry: number, vector: Float32Array, key: string): Touched {
    const row: Touched = { memory: normalized(memory), entry, vector, key, rowId: undefined, added: this.added.length };
    this.added.push(row);
    this.holders.set(entry, row);
    this.rowsOf(memory.userId).push(row);
    return row;
  }

  /** Existing rows the round merged into. */
  changed(): Touched[] {
    return [...this.existing.values()];
  }

  /** An untouched existing row, from now on one the round changes. */
  private touch(existing: ExistingRow, entry: number, vector: Float32Array): Touched {
    const row: Touched = { memory: memoryOf(existing), entry, vector, key: existing.content_key, rowId: existing.id, added: undefined };
    this.existing.set(existing.id, row);
    this.rowsOf(row.memory.userId).push(row);
    return row;
  }

  private rowsOf(userId: string): Touched[] {
    let rows = this.byUser.get(userId);
    if (!rows) this.byUser.set(userId, (rows = []));
    return rows;
  }

  private changedIdsOf(userId: string): string[] {
    return this.rowsOf(userId).flatMap((row) => (row.rowId === undefined ? [] : [row.rowId]));
  }
}

/** Existing rows first, by id; then the round's new rows in the order they were added. */
function byId(a: Touched, b: Touched): number {
  if (a.rowId !== undefined && b.rowId !== undefined) return BigInt(a.rowId) < BigInt(b.rowId) ? -1 : 1;
  return a.rowId !== undefined ? -1 : b.rowId !== undefined ? 1 : a.added! - b.added!;
}

const pairKey = (userId: string, key: string) => `${userId}\u0000${key}`;

/** A memory as the database returns it: metadata through JSON, as jsonb keeps it. */
function normalized(memory: Memory): Memory {
  return { ...memory, metadata: JSON.parse(JSON.stringify(memory.metadata)) as Record<string, unknown> };
}

/** A row of the table with its normalized content. */
type ExistingRow = MemoryRow & { content_key: string };

/** Existing rows with an entry's user and normalized content, by `user \u0000 key`, lowest id first. */
async function rowsWithContent(tx: SqlQueryable, entries: readonly BatchEntry[], keys: readonly string[]): Promise<Map<string, ExistingRow[]>> {
  const { rows } = await tx.query<ExistingRow>(
    `SELECT ${MEMORY_COLUMNS}, content_key FROM ${MEMORY_TABLE}
     WHERE (user_id, md5(content_key)) IN (SELECT u, md5(k) FROM unnest($1::text[], $2::text[]) AS x(u, k))
       AND (user_id, content_key) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
    [entries.map((entry) => entry.draft.userId), keys],
  );
  const found = new Map<string, ExistingRow[]>();
  for (const row of rows.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1))) {
    const key = pairKey(row.user_id, row.content_key);
    found.set(key, [...(found.get(key) ?? []), row]);
  }
  return found;
}

interface Nearest {
  row: ExistingRow;
  similarity: number;
}

/** What the database says of one entry: its nearest existing row (where asked), and the earlier entries of the round at or above the threshold from it. */
interface Similar {
  nearest: Nearest | undefined;
  earlier: Array<{ entry: number; similarity: number }>;
}

/**
 * For every entry, in one query: the nearest existing row of its user where `asked` (a LATERAL
 * top-1), and the earlier entries of the same user at or above the threshold (their pairs, filtered in the database).
 */
async function similarTo(tx: SqlQueryable, entries: readonly BatchEntry[], asked: readonly boolean[], threshold: number): Promise<Similar[]> {
  const { rows } = await tx.query<Partial<ExistingRow> & { entry: number; similarity: number | null; earlier: Array<[number, number]> | null }>(
    `WITH batch AS MATERIALIZED (
       SELECT user_id, embedding::vector AS embedding, asked, entry - 1 AS entry
       FROM unnest($1::text[], $2::text[], $3::boolean[]) WITH ORDINALITY AS b(user_id, embedding, asked, entry)
     )
     SELECT b.entry::int AS entry, n.*,
       (SELECT json_agg(json_build_array(e.entry, 1 - (b.embedding <=> e.embedding)))
        FROM batch e WHERE e.user_id = b.user_id AND e.entry < b.entry AND 1 - (b.embedding <=> e.embedding) >= $4) AS earlier
     FROM batch b LEFT JOIN LATERAL (
       SELECT ${MEMORY_COLUMNS}, content_key, 1 - (embedding <=> b.embedding) AS similarity FROM ${MEMORY_TABLE}
       WHERE b.asked AND user_id = b.user_id ORDER BY embedding <=> b.embedding LIMIT 1
     ) n ON true`,
    [entries.map((entry) => entry.draft.userId), entries.map((entry) => vectorSql(entry.vector)), asked, threshold - SIMILARITY_TOLERANCE],
  );
  const similar: Similar[] = entries.map(() => ({ nearest: undefined, earlier: [] }));
  for (const { entry, similarity, earlier, ...row } of rows) {
    similar[Number(entry)] = {
      nearest: row.id == null ? undefined : { row: row as ExistingRow, similarity: Number(similarity) },
      earlier: (earlier ?? []).map(([earlierEntry, value]) => ({ entry: Number(earlierEntry), similarity: Number(value) })),
    };
  }
  return similar;
}

/** The user's nearest row by cosine among those the round has not changed. */
async function nearestUntouched(tx: SqlQueryable, userId: string, vector: Float32Array, changed: readonly string[]): Promise<Nearest | undefined> {
  const { rows } = await tx.query<ExistingRow & { similarity: number }>(
    `SELECT ${MEMORY_COLUMNS}, content_key, 1 - (embedding <=> $2::vector) AS similarity FROM ${MEMORY_TABLE}
     WHERE user_id = $1 AND NOT (id = ANY($3::bigint[])) ORDER BY embedding <=> $2::vector LIMIT 1`,
    [userId, vectorSql(vector), changed],
  );
  return rows[0] && { row: rows[0], similarity: Number(rows[0].similarity) };
}

/** Inserts the round's new rows in one statement; ids are assigned in the order given. */
async function insertRows(tx: SqlQueryable, added: readonly Touched[]): Promise<void> {
  if (added.length === 0) return;
  const column = <T>(value: (row: Touched) => T) => added.map(value);
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO ${MEMORY_TABLE} (user_id, type, content, content_key, embedding, importance, created_at, updated_at, metadata)
     SELECT user_id, type, content, content_key, embedding::vector, importance, created_at, updated_at, metadata::jsonb
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::timestamptz[], $8::timestamptz[], $9::text[])
       WITH ORDINALITY AS r(user_id, type, content, content_key, embedding, importance, created_at, updated_at, metadata, entry)
     ORDER BY entry
     RETURNING id::text AS id`,
    [
      column((row) => row.memory.userId),
      column((row) => row.memory.type),
      column((row) => row.memory.content),
      column((row) => row.key),
      column((row) => vectorSql(row.vector)),
      column((row) => row.memory.importance),
      column((row) => row.memory.createdAt),
      column((row) => row.memory.updatedAt),
      column((row) => JSON.stringify(row.memory.metadata)),
    ],
  );
  const ids = rows.map((row) => BigInt(row.id)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  added.forEach((row, i) => (row.rowId = String(ids[i])));
}

/** Writes the round's merged rows in one statement. */
async function updateRows(tx: SqlQueryable, changed: readonly Touched[]): Promise<void> {
  if (changed.length === 0) return;
  const column = <T>(value: (row: Touched) => T) => changed.map(value);
  await tx.query(
    `UPDATE ${MEMORY_TABLE} AS t SET content = r.content, content_key = r.content_key, importance = r.importance, created_at = r.created_at,
       updated_at = r.updated_at, metadata = r.metadata::jsonb, embedding = r.embedding::vector
     FROM unnest($1::bigint[], $2::text[], $3::text[], $4::float8[], $5::timestamptz[], $6::timestamptz[], $7::text[], $8::text[])
       AS r(id, content, content_key, importance, created_at, updated_at, metadata, embedding)
     WHERE t.id = r.id`,
    [
      column((row) => row.rowId),
      column((row) => row.memory.content),
      column((row) => row.key),
      column((row) => row.memory.importance),
      column((row) => row.memory.createdAt),
      column((row) => row.memory.updatedAt),
      column((row) => JSON.stringify(row.memory.metadata)),
      column((row) => vectorSql(row.vector)),
    ],
  );
}
