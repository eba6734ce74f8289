// Long-term memory stores side by side: in process (the default) and PostgreSQL with pgvector
// (PGlite: PostgreSQL compiled to WebAssembly, in this process; and the same database through the
// `pg` client on a loopback socket). Insert throughput, one customer's search latency, recall@10
// of the vector half against exact cosine search.
// Run: npx tsx bench/micro/memory-stores.bench.ts [--customers 1000] [--per-customer 100] [--queries 200] [--in-process-only]
// PGlite inserts ~20 memories/s on the 2-core machine (README), so 100,000 of them take over an hour.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { cosine, HashingEmbedder, identityOf } from '../../core/memory/embedding.js';
import { LongTermMemory, type MemoryInput } from '../../core/memory/long-term.js';
import type { MemoryStore } from '../../core/memory/memory-store.js';
import { MEMORY_TABLE } from '../../core/memory/postgres-schema.js';
import { connectPostgresMemoryStore, PostgresMemoryStore } from '../../core/memory/postgres-store.js';
import type { Embedder } from '../../core/memory/types.js';
import { seededRandom } from '../../test/support/vectors.js';
import { banking77Queries, locomoConversations, percentile, printTable, tauBenchMessages } from './memory-data.js';
import { formatMs, machine } from './print.js';

const { values } = parseArgs({ options: { customers: { type: 'string', default: '1000' }, 'per-customer': { type: 'string', default: '100' }, queries: { type: 'string', default: '200' }, 'in-process-only': { type: 'boolean', default: false } } });
const customers = Number(values.customers);
const perCustomer = Number(values['per-customer']);
const queryCount = Number(values.queries);
const NOW = new Date('2024-06-01T00:00:00Z');

console.log(`machine: ${machine()}`);

// Real customer-service text (tau-bench messages, LoCoMo turns), one ticket number each so that every memory is distinct.
const pool = [...tauBenchMessages(), ...locomoConversations().flatMap((c) => c.turns.map((turn) => turn.text))].map((text) => text.slice(0, 400)).filter((text) => text.trim().length > 20);
const inputs: MemoryInput[][] = Array.from({ length: customers }, (_, c) =>
  Array.from({ length: perCustomer }, (_, j) => {
    const n = c * perCustomer + j;
    return { userId: `customer-${c}`, content: `${pool[(n * 7919) % pool.length]} [ticket ${n}]`, type: 'episodic' as const, createdAt: new Date(Date.UTC(2024, 0, 1) + j * 3_600_000).toISOString() };
  }),
);
const random = seededRandom(5);
const questions = banking77Queries();
const queries = Array.from({ length: queryCount }, () => ({ userId: `customer-${Math.floor(random() * customers)}`, text: questions[Math.floor(random() * questions.length)]! }));

// Embedding is the same work for every store: done once up front, so the timings below are the stores' own.
const hashing = new HashingEmbedder();
const vectors = new Map<string, Float32Array>();
const started = performance.now();
for (const text of [...inputs.flat().map((input) => input.content), ...queries.map((query) => query.text)]) if (!vectors.has(text)) vectors.set(text, hashing.embedText(text));
console.log(`embedded ${vectors.size.toLocaleString('en')} texts (${hashing.id}) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
const embedder: Embedder = { id: hashing.id, dimension: hashing.dimension, embed: async (texts) => texts.map((text) => vectors.get(text) ?? hashing.embedText(text)) };

interface Measured {
  store: string;
  insertPerSecond?: number;
  p50: number;
  p95: number;
  recall?: number;
  top10?: Map<number, string[]>;
}

async function fill(memory: LongTermMemory): Promise<number> {
  const begin = performance.now();
  for (const batch of inputs) await memory.storeMany(batch);
  const total = inputs.length * perCustomer;
  if ((await memory.count()) !== total) throw new Error(`stored ${await memory.count()} of ${total} memories`);
  return total / ((performance.now() - begin) / 1000);
}

async function searchLatency(memory: LongTermMemory): Promise<{ p50: number; p95: number; top10: Map<number, string[]> }> {
  const durations: number[] = [];
  const top10 = new Map<number, string[]>();
  for (const [i, query] of queries.entries()) {
    const begin = performance.now();
    const hits = await memory.search(query.text, { userId: query.userId, k: 10, now: NOW });
    durations.push(performance.now() - begin);
    top10.set(i, hits.map((hit) => hit.memory.content));
  }
  return { p50: percentile(durations, 50), p95: percentile(durations, 95), top10 };
}

/** Share of the exact top 10 by cosine that the store's vector search returns, over every query. */
async function vectorRecall(store: MemoryStore): Promise<number> {
  let found = 0;
  for (const query of queries) {
    const own = inputs[Number(query.userId.slice('customer-'.length))]!;
    const target = vectors.get(query.text)!;
    const exact = new Set(own.map((input) => ({ content: input.content, similarity: cosine(target, vectors.get(input.content)!) })).sort((a, b) => b.similarity - a.similarity).slice(0, 10).map((hit) => hit.content));
    const hits = await store.searchByVector(query.userId, target, 10, {});
    found += hits.filter((hit) => exact.has(hit.memory.content)).length;
  }
  return found / (queries.length * 10);
}

const results: Measured[] = [];

const inProcess = new LongTermMemory({ embedder, now: () => NOW, dedupThreshold: 1.01 });
const inProcessInsert = await fill(inProcess);
results.push({ store: 'in process (exact per customer below 2,000)', insertPerSecond: inProcessInsert, recall: 1, ...(await searchLatency(inProcess)) });
console.log(`in process: ${inProcessInsert.toFixed(0)} inserts/s`);

if (values['in-process-only']) {
  printResults();
  process.exit(0);
}

const db = await PGlite.create({ extensions: { vector } });
const direct = await PostgresMemoryStore.open(db, { embedder: identityOf(embedder) });
const inPglite = new LongTermMemory({ embedder, now: () => NOW, dedupThreshold: 1.01, store: direct });
const pgliteInsert = await fill(inPglite);
console.log(`PGlite: ${pgliteInsert.toFixed(0)} inserts/s`);
await db.exec(`ANALYZE ${MEMORY_TABLE}`);
results.push({ store: 'PostgreSQL + pgvector (PGlite, in process)', insertPerSecond: pgliteInsert, recall: await vectorRecall(direct), ...(await searchLatency(inPglite)) });

const plan = await db.transaction(async (tx) => {
  await tx.query("SET LOCAL hnsw.iterative_scan = 'strict_order'");
  const probe = vectors.get(queries[0]!.text)!;
  return (await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN SELECT id FROM ${MEMORY_TABLE} WHERE user_id = $1 ORDER BY embedding <=> $2::vector LIMIT 50`, [queries[0]!.userId, `[${Array.from(probe).join(',')}]`])).rows.map((row) => row['QUERY PLAN']);
});

const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 8 });
await server.start();
const overSocket = connectPostgresMemoryStore(`postgres://postgres@${server.getServerConn()}/postgres`, { embedder: identityOf(embedder), maxConnections: 4 });
results.push({ store: 'the same database through pg over a loopback socket', recall: await vectorRecall(overSocket), ...(await searchLatency(new LongTermMemory({ embedder, now: () => NOW, store: overSocket }))) });
await overSocket.close();
await server.stop();
await db.close();

printResults();
console.log(`\nPostgreSQL plan of one customer's vector search:\n${plan.map((line) => `    ${line.replace(/'\[[^\]]*\]'::vector/g, '$query::vector')}`).join('\n')}`);

/** The table for the README. */
function printResults(): void {
  const agreement = (other: Map<number, string[]>) => {
    let shared = 0;
    for (const [i, list] of results[0]!.top10!) shared += other.get(i)!.filter((content) => list.includes(content)).length;
    return shared / (queries.length * 10);
  };
  printTable(
    `Long-term memory stores: ${(customers * perCustomer).toLocaleString('en')} memories over ${customers.toLocaleString('en')} customers, ${queryCount} searches of one customer (k = 10, hybrid)`,
    ['store', 'inserts/s (storeMany per customer)', 'search p50', 'search p95', 'vector recall@10 vs exact', 'top-10 shared with in-process'],
    results.map((r) => [r.store, r.insertPerSecond === undefined ? '(same data)' : Math.round(r.insertPerSecond).toLocaleString('en'), formatMs(r.p50), formatMs(r.p95), r.recall!.toFixed(3), agreement(r.top10!).toFixed(3)]),
  );
}
