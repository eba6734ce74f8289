// HNSW tuning on 100,000 synthetic 384-d vectors (200 Gaussian clusters, as in memory-store.bench):
// build time per configuration, then recall@10 against exact search and query latency per ef.
// Run: npm run bench:hnsw [-- --configs 16:200,16:100 --ef 16,32,48,64,100,200 --size 100000]
import { parseArgs } from 'node:util';
import os from 'node:os';
import { HnswVectorStore } from '../../core/memory/hnsw-store.js';
import { ExactVectorStore } from '../../core/memory/vector-store.js';
import { clusteredVectors } from '../../test/support/vectors.js';
import { percentile, printTable, timeEach } from './memory-data.js';
import { formatMs, machine } from './print.js';

const { values } = parseArgs({ options: { configs: { type: 'string', default: '16:200' }, ef: { type: 'string', default: '16,24,32,48,64,100,200' }, size: { type: 'string', default: '100000' }, queries: { type: 'string', default: '500' } } });
const size = Number(values.size);
const next = clusteredVectors({ dimension: 384, clusters: 200, noise: 2, seed: 5 });
const records = Array.from({ length: size }, (_, i) => ({ id: `v${i}`, vector: next(), metadata: {} }));
const queries = Array.from({ length: Number(values.queries) }, next);
const exact = new ExactVectorStore({ embedderId: 'synthetic', dimension: 384, initialCapacity: size });
exact.add(records);
const truth = queries.map((query) => new Set(exact.search(query, 10).map((hit) => hit.id)));

console.log(`machine: ${machine()}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
for (const config of values.configs.split(',')) {
  const [m, efConstruction] = config.split(':').map(Number) as [number, number];
  const store = new HnswVectorStore({ embedderId: 'synthetic', dimension: 384, m, efConstruction, initialCapacity: size });
  const building = performance.now();
  store.add(records);
  const buildMs = performance.now() - building;
  const rows = values.ef.split(',').map(Number).map((ef) => {
    store.ef = ef;
    const found = queries.reduce((sum, query, i) => sum + store.search(query, 10).filter((hit) => truth[i]!.has(hit.id)).length, 0);
    const times = timeEach(queries, (query) => store.search(query, 10));
    return [`${ef}`, (found / (10 * queries.length)).toFixed(3), formatMs(percentile(times, 50)), formatMs(percentile(times, 95))];
  });
  printTable(`HNSW M ${m}, efConstruction ${efConstruction}: ${size.toLocaleString('en')} x 384-d built in ${formatMs(buildMs)} (${queries.length} queries, k 10)`, ['ef', 'recall@10', 'p50', 'p95'], rows);
}
