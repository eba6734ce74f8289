// One customer's search in a long-term memory of 1,000,000 memories over 1,000 customers, with
// generated 384-d vectors (nothing committed, nothing downloaded), and the memory it takes.
// Run: npm run bench:customers [-- --customers 1000 --per-customer 1000 --queries 2000]
import { parseArgs } from 'node:util';
import os from 'node:os';
import { InProcessMemoryStore, LongTermMemory } from '../../core/index.js';
import { rowArena } from '../../core/memory/simd-dots.js';
import { seededRandom } from '../../test/support/vectors.js';
import { generatedEmbedder } from './generated-embedder.js';
import { percentile } from './memory-data.js';
import { formatMs, machine } from './print.js';

const { values } = parseArgs({ options: { customers: { type: 'string', default: '1000' }, 'per-customer': { type: 'string', default: '1000' }, queries: { type: 'string', default: '2000' } } });
const customers = Number(values.customers);
const perCustomer = Number(values['per-customer']);
const DIMENSION = 384;
const CLUSTERS = 64;
/** A 5,000-word generated vocabulary ("w0" ... "w4999"); word r is drawn with weight 1/(r+1) (Zipf), as in real text. */
const VOCABULARY = 5000;
const zipf = (() => {
  const cumulative = new Float64Array(VOCABULARY);
  for (let r = 0, sum = 0; r < VOCABULARY; r++) cumulative[r] = sum += 1 / (r + 1);
  return (u: number) => {
    const target = u * cumulative[VOCABULARY - 1]!;
    let low = 0;
    let high = VOCABULARY - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (cumulative[mid]! < target) low = mid + 1;
      else high = mid;
    }
    return `w${low}`;
  };
})();

const generated = generatedEmbedder(DIMENSION, CLUSTERS);

const words = seededRandom(11);
const sentence = (length: number) => Array.from({ length }, () => zipf(words())).join(' ');

const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const before = process.memoryUsage();
const arenaBefore = rowArena?.bytes ?? 0;
// Generated vectors carry no near-duplicates, so the cosine dedup check is off (exact repeats still merge).
const store = new InProcessMemoryStore({ embedder: { embedderId: generated.id, dimension: generated.dimension } });
const memory = new LongTermMemory({ embedder: generated, store, now: () => new Date('2024-06-01T00:00:00Z'), dedupThreshold: 1.01 });
const loading = performance.now();
for (let c = 0; c < customers; c++) {
  const userId = `customer-${c}`;
  await memory.storeMany(
    Array.from({ length: perCustomer }, (_, i) => ({ userId, content: `#${i} ${sentence(12)}`, type: 'episodic' as const, createdAt: new Date(Date.UTC(2023, 0, 1) + i * 3_600_000).toISOString() })),
  );
}
const loadMs = performance.now() - loading;
const total = await memory.count();

// Every partition's lexical index is built by its first search; warm them all, then time fresh queries.
for (let c = 0; c < customers; c++) await memory.search(sentence(3), { userId: `customer-${c}`, k: 10 });
gc?.();
const after = process.memoryUsage();
const arenaAfter = rowArena?.bytes ?? 0;
const pick = seededRandom(13);
const queries = Array.from({ length: Number(values.queries) }, () => ({ userId: `customer-${Math.floor(pick() * customers)}`, query: sentence(4) }));
const latencies: number[] = [];
for (const { userId, query } of queries) {
  const started = performance.now();
  await memory.search(query, { userId, k: 10 });
  latencies.push(performance.now() - started);
}
// The partition's vector search alone (the store's searchByVector, k 10, the query embedded beforehand):
// what the dense half of each search above costs, without BM25, fusion and scoring.
const vectors = queries.map(({ query }) => generated.embedText(query));
const vectorLatencies: number[] = [];
for (let i = 0; i < queries.length; i++) {
  const started = performance.now();
  await store.searchByVector(queries[i]!.userId, vectors[i]!, 10, {});
  vectorLatencies.push(performance.now() - started);
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const perMillion = (bytes: number) => mib((bytes * 1_000_000) / total);
console.log(`machine: ${machine()}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
console.log(`${total.toLocaleString('en')} memories over ${customers.toLocaleString('en')} customers (${perCustomer.toLocaleString('en')} each, ${DIMENSION}-d generated vectors), loaded with storeMany() in ${formatMs(loadMs)}\n`);
console.log('| measure | value |');
console.log('| --- | ---: |');
console.log(`| one customer's search(k 10), p50 (${latencies.length.toLocaleString('en')} queries, random customers) | ${formatMs(percentile(latencies, 50))} |`);
console.log(`| p95 | ${formatMs(percentile(latencies, 95))} |`);
console.log(`| p99 | ${formatMs(percentile(latencies, 99))} |`);
console.log(`| the partition's vector search alone (searchByVector, k 10, query embedded beforehand), p50 | ${formatMs(percentile(vectorLatencies, 50))} |`);
console.log(`| p95 | ${formatMs(percentile(vectorLatencies, 95))} |`);
console.log(`| p99 | ${formatMs(percentile(vectorLatencies, 99))} |`);
console.log(`| JS heap per million memories | ${perMillion(after.heapUsed - before.heapUsed)} |`);
console.log(`| array buffers per million memories | ${perMillion(after.arrayBuffers - before.arrayBuffers)} |`);
console.log(`| WebAssembly memory (the vectors, SIMD-scanned) per million memories | ${perMillion(arenaAfter - arenaBefore)} |`);
console.log(`| resident set per million memories | ${perMillion(after.rss - before.rss)} |`);
if (!gc) console.log('\n(run with node --expose-gc for settled memory figures: npm run bench:customers does)');
