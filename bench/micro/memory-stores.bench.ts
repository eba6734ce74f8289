// Long-term memory stores side by side at the size of issue 16: 100,000 memories over 1,000
// customers, in process (the default) and in PostgreSQL with pgvector (PGlite: PostgreSQL compiled
// to WebAssembly, in this process; searches also through the `pg` client on a loopback socket).
// Texts are real customer-service messages (tau-bench, LoCoMo), one ticket number each; vectors are
// generated (384-d, clustered: bench/micro/generated-embedder.ts) and computed before any timing,
// so every figure is the store's own. Dedup is on (threshold 0.9); generated vectors hold no
// near-duplicates, so every memory is kept.
// Run: npm run bench:stores [-- --customers 1000 --per-customer 100 --queries 200 --steady 1000 --stores in-process,pglite --keep-hnsw]
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { cosine, identityOf } from '../../core/memory/embedding.js';
import { InProcessMemoryStore } from '../../core/memory/in-process-store.js';
import { LongTermMemory, type MemoryInput } from '../../core/memory/long-term.js';
import type { MemoryStore } from '../../core/memory/memory-store.js';
import { CREATE_VECTOR_INDEX, MEMORY_TABLE, VECTOR_INDEX, type SqlDatabase } from '../../core/memory/postgres-schema.js';
import { connectPostgresMemoryStore, PostgresMemoryStore } from '../../core/memory/postgres-store.js';
import type { Embedder } from '../../core/memory/types.js';
import { seededRandom } from '../../test/support/vectors.js';
import { generatedEmbedder } from './generated-embedder.js';
import { banking77Queries, locomoConversations, percentile, printTable, tauBenchMessages } from './memory-data.js';
import { formatMs, machine } from './print.js';

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '1000' },
    'per-customer': { type: 'string', default: '100' },
    queries: { type: 'string', default: '200' },
    steady: { type: 'string', default: '1000' },
    stores: { type: 'string', default: 'in-process,pglite' },
    'keep-hnsw': { type: 'boolean', default: false },
  },
});
const customers = Number(values.customers);
const perCustomer = Number(values['per-customer']);
const steadyCount = Number(values.steady);
const stores = new Set(values.stores.split(','));
const NOW = new Date('2024-06-01T00:00:00Z');
/** Memories per storeMany() call after the load: what an agent server writes at the end of a conversation. */
const STEADY_BATCH = 10;

console.log(`machine: ${machine()}; load average at start ${loadAverage()}`);

const pool = [...tauBenchMessages(), ...locomoConversations().flatMap((c) => c.turns.map((turn) => turn.text))].map((text) => text.slice(0, 400)).filter((text) => text.trim().length > 20);
const memoryAt = (customer: number, n: number, hour: number): MemoryInput => ({
  userId: `customer-${customer}`,
  content: `${pool[(n * 7919) % pool.length]} [ticket ${n}]`,
  type: 'episodic',
  createdAt: new Date(Date.UTC(2024, 0, 1) + hour * 3_600_000).toISOString(),
});
const inputs = Array.from({ length: customers }, (_, c) => Array.from({ length: perCustomer }, (_, j) => memoryAt(c, c * perCustomer + j, j)));
const total = customers * perCustomer;
/** Stored after the load, 10 per call; PostgreSQL stores the second half again without its HNSW index, to show what maintaining the graph costs. */
const steadyInputs = Array.from({ length: 2 * steadyCount }, (_, i) => memoryAt(Math.floor(i / STEADY_BATCH) % customers, total + i, perCustomer + i));
const random = seededRandom(5);
const questions = banking77Queries();
const queries = Array.from({ length: Number(values.queries) }, () => ({ customer: Math.floor(random() * customers), text: questions[Math.floor(random() * questions.length)]! }));

const generated = generatedEmbedder();
const vectors = new Map<string, Float32Array>();
const started = performance.now();
for (const text of [...inputs.flat(), ...steadyInputs].map((input) => input.content).concat(queries.map((query) => query.text))) if (!vectors.has(text)) vectors.set(text, generated.embedText(text));
console.log(`generated ${vectors.size.toLocaleString('en')} vectors (${generated.id}) in ${seconds(performance.now() - started)}`);
const embedder: Embedder = { id: generated.id, dimension: generated.dimension, embed: async (texts) => texts.map((text) => vectors.get(text) ?? generated.embedText(text)) };
const identity = identityOf(embedder);

interface Measured {
  store: string;
  load?: string;
  steady?: string;
  steadyWithoutIndex?: string;
  search?: { p50: number; p95: number; top10: string[][] };
  vectorSearch: { p50: number; p95: number; recall: number; returned: number };
  memory?: string;
}
const results: Measured[] = [];

if (stores.has('in-process')) {
  const baseline = heldBytes();
  const store = new InProcessMemoryStore({ embedder: identity });
  const memory = new LongTermMemory({ embedder, now: () => NOW, store });
  const load = await timed(() => fill(memory));
  await warm(memory);
  const held = heldBytes() - baseline;
  const search = await searchLatency(memory);
  const vectorSearch = await vectorRecall(store);
  const steady = await timed(() => storeSteady(memory, steadyInputs.slice(0, steadyCount)));
  results.push({ store: 'in process (exact per customer below 2,000)', load: rate(total, load), steady: rate(steadyCount, steady), search, vectorSearch, memory: `${mib(held)} (JS heap and buffers)` });
  console.log(`in process: loaded in ${seconds(load)}`);
}

if (stores.has('pglite')) {
  const empty = heldBytes();
  const db = await PGlite.create({ extensions: { vector } });
  const store = await PostgresMemoryStore.open(db, { embedder: identity });
  const baseline = heldBytes();
  const memory = new LongTermMemory({ embedder, now: () => NOW, store });
  // pgvector's advice for an initial load: add the HNSW index after the data (graph inserts in WebAssembly were 80% of a bulk load).
  if (!values['keep-hnsw']) await db.exec(`DROP INDEX ${VECTOR_INDEX}`);
  const load = await timed(() => fill(memory));
  console.log(`PGlite: loaded in ${seconds(load)}`);
  const build = values['keep-hnsw'] ? 0 : await timed(() => db.exec(`SET maintenance_work_mem = '1GB'; ${CREATE_VECTOR_INDEX}; RESET maintenance_work_mem`));
  await db.exec(`ANALYZE ${MEMORY_TABLE}`);
  const loadNote = values['keep-hnsw'] ? rate(total, load) : `${rate(total, load)} without HNSW, then the index built in ${seconds(build)}: ${rate(total, load + build)}`;
  await warm(memory);
  const held = heldBytes() - baseline;
  const sizes = (await db.query<{ table: string; hnsw: string }>(`SELECT pg_total_relation_size('${MEMORY_TABLE}')::text AS table, pg_relation_size('${VECTOR_INDEX}')::text AS hnsw`)).rows[0]!;
  const search = await searchLatency(memory);
  const vectorSearch = await vectorRecall(store);
  const forced = await withHnswOnly(db, (only) => vectorRecall(only));
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 8 });
  await server.start();
  const overSocket = connectPostgresMemoryStore(`postgres://postgres@${server.getServerConn()}/postgres`, { embedder: identity, maxConnections: 4 });
  const socketSearch = await searchLatency(new LongTermMemory({ embedder, now: () => NOW, store: overSocket }));
  const socketVectors = await vectorRecall(overSocket);
  await overSocket.close();
  await server.stop();
  const steady = await timed(() => storeSteady(memory, steadyInputs.slice(0, steadyCount)));
  const plans = await explain(db);
  await db.exec(`DROP INDEX ${VECTOR_INDEX}`);
  const steadyWithoutIndex = await timed(() => storeSteady(memory, steadyInputs.slice(steadyCount)));
  const limits = (await db.query<{ max_scan_tuples: string }>('SELECT current_setting($1) AS max_scan_tuples', ['hnsw.max_scan_tuples'])).rows[0]!;
  await db.close();
  results.push(
    { store: 'PostgreSQL + pgvector (PGlite, in process)', load: loadNote, steady: `${rate(steadyCount, steady)} (HNSW in place)`, steadyWithoutIndex: rate(steadyCount, steadyWithoutIndex), search, vectorSearch, memory: `${mib(held)} (WebAssembly and JS, beyond the ${mib(baseline - empty)} of the empty database); table ${mib(Number(sizes.table))} with its indexes, of which HNSW ${mib(Number(sizes.hnsw))}` },
    { store: `the same, HNSW forced (B-trees dropped, sequential scans off; ef_search 100, max_scan_tuples ${limits.max_scan_tuples})`, vectorSearch: forced },
    { store: 'the same database through `pg` over a loopback socket', search: socketSearch, vectorSearch: socketVectors },
  );
  console.log(plans);
}

printResults();
console.log(`\nload average at end ${loadAverage()}`);

async function fill(memory: LongTermMemory): Promise<void> {
  for (const batch of inputs) await memory.storeMany(batch);
  if ((await memory.count()) !== total) throw new Error(`stored ${await memory.count()} of ${total} memories: generated vectors should hold no near-duplicates`);
}

async function storeSteady(memory: LongTermMemory, batch: readonly MemoryInput[]): Promise<void> {
  for (let start = 0; start < batch.length; start += STEADY_BATCH) await memory.storeMany(batch.slice(start, start + STEADY_BATCH));
}

/** One untimed search per customer: the in-process store builds a partition's lexical index on its first search. */
async function warm(memory: LongTermMemory): Promise<void> {
  for (let c = 0; c < customers; c++) await memory.search('order', { userId: `customer-${c}`, k: 10, now: NOW });
}

async function searchLatency(memory: LongTermMemory): Promise<{ p50: number; p95: number; top10: string[][] }> {
  const durations: number[] = [];
  const top10: string[][] = [];
  for (const query of queries) {
    const begin = performance.now();
    const hits = await memory.search(query.text, { userId: `customer-${query.customer}`, k: 10, now: NOW });
    durations.push(performance.now() - begin);
    top10.push(hits.map((hit) => hit.memory.content));
  }
  return { p50: percentile(durations, 50), p95: percentile(durations, 95), top10 };
}

/** The store's vector search of one customer: its latency, the share of the exact top 10 by cosine that it returns, and how many rows it returns. */
async function vectorRecall(store: MemoryStore): Promise<Measured['vectorSearch']> {
  let found = 0;
  let returned = 0;
  const durations: number[] = [];
  for (const query of queries) {
    const target = vectors.get(query.text)!;
    const exact = new Set(
      inputs[query.customer]!.map((input) => ({ content: input.content, similarity: cosine(target, vectors.get(input.content)!) }))
        .sort((a, b) => b.similarity - a.similarity)
        .slice(0, 10)
        .map((hit) => hit.content),
    );
    const begin = performance.now();
    const hits = await store.searchByVector(`customer-${query.customer}`, target, 10, {});
    durations.push(performance.now() - begin);
    found += hits.filter((hit) => exact.has(hit.memory.content)).length;
    returned += hits.length;
  }
  return { p50: percentile(durations, 50), p95: percentile(durations, 95), recall: found / (queries.length * 10), returned: returned / queries.length };
}

/** Runs `work` on a store inside one transaction in which only the HNSW index can serve a customer's vector search; rolled back. */
async function withHnswOnly<T>(db: PGlite, work: (store: PostgresMemoryStore) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.exec(`DROP INDEX ${MEMORY_TABLE}_user, ${MEMORY_TABLE}_content, ${MEMORY_TABLE}_thread; SET LOCAL enable_seqscan = off`);
    const inTransaction: SqlDatabase = { query: (text, params) => tx.query(text, params), transaction: (inner) => inner(tx), close: async () => undefined };
    const result = await work(new PostgresMemoryStore(inTransaction, { embedder: identity }));
    await tx.rollback();
    return result;
  });
}

/** PostgreSQL's plans for one customer's vector search and for the write-time duplicate check (a LATERAL top-1), at this size. */
async function explain(db: PGlite): Promise<string> {
  const probe = `[${Array.from(vectors.get(queries[0]!.text)!).join(',')}]`;
  const plan = async (sql: string, params: unknown[]) =>
    db.transaction(async (tx) => {
      await tx.exec("SET LOCAL hnsw.iterative_scan = 'strict_order'");
      return (await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params)).rows.map((row) => `    ${row['QUERY PLAN'].replace(/'\[[^\]]*\]'::vector/g, '$query::vector')}`).join('\n');
    });
  const search = await plan(`SELECT id FROM ${MEMORY_TABLE} WHERE user_id = $1 ORDER BY embedding <=> $2::vector LIMIT 50`, [`customer-${queries[0]!.customer}`, probe]);
  const dedup = await plan(
    `SELECT q.entry, n.id FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS q(user_id, embedding, entry)
     LEFT JOIN LATERAL (SELECT id FROM ${MEMORY_TABLE} WHERE user_id = q.user_id ORDER BY embedding <=> q.embedding::vector LIMIT 1) n ON true`,
    [[`customer-${queries[0]!.customer}`], [probe]],
  );
  return `\nPostgreSQL plan of one customer's vector search:\n${search}\n\nof the write-time nearest-row check:\n${dedup}`;
}

/** The table for the README. */
function printResults(): void {
  const reference = results[0]?.search?.top10;
  const agreement = (top10: string[][]) => (reference ? (top10.reduce((shared, list, i) => shared + list.filter((content) => reference[i]!.includes(content)).length, 0) / (queries.length * 10)).toFixed(3) : '');
  printTable(
    `Long-term memory stores: ${total.toLocaleString('en')} memories over ${customers.toLocaleString('en')} customers (384-d generated vectors), ${queries.length} searches of one customer (k = 10)`,
    ['store', 'load (storeMany per customer)', `then ${steadyCount.toLocaleString('en')} more, ${STEADY_BATCH} per call`, 'and without HNSW', 'hybrid search p50 / p95', 'top-10 shared with the first row', 'vector search p50 / p95', 'vector recall@10 vs exact (rows returned)', 'memory after the load'],
    results.map((r) => [
      r.store,
      r.load ?? '(same data)',
      r.steady ?? '',
      r.steadyWithoutIndex ?? '',
      r.search ? `${formatMs(r.search.p50)} / ${formatMs(r.search.p95)}` : '',
      r.search ? agreement(r.search.top10) : '',
      `${formatMs(r.vectorSearch.p50)} / ${formatMs(r.vectorSearch.p95)}`,
      `${r.vectorSearch.recall.toFixed(3)} (${r.vectorSearch.returned.toFixed(1)})`,
      r.memory ?? '',
    ]),
  );
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const begin = performance.now();
  await work();
  return performance.now() - begin;
}

/** JS heap and memory outside it (buffers, WebAssembly), after a collection when node runs with --expose-gc. */
function heldBytes(): number {
  (globalThis as { gc?: () => void }).gc?.();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

function rate(count: number, ms: number): string {
  return `${Math.round(count / (ms / 1000)).toLocaleString('en')}/s (${seconds(ms)})`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function mib(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20).toLocaleString('en')} MiB`;
}

function loadAverage(): string {
  return os.loadavg().map((value) => value.toFixed(1)).join(' ');
}
