// Memory-tier benchmarks: embedder quality and speed, HNSW against exact search, filters, persistence.
// Run: npx tsx bench/micro/memory-store.bench.ts (about 3 minutes on 2 cores)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { HashingEmbedder, type HashingEmbedderOptions } from '../../core/memory/embedding.js';
import { HnswVectorStore } from '../../core/memory/hnsw-store.js';
import type { VectorRecord, VectorStore } from '../../core/memory/types.js';
import { ExactVectorStore, openVectorStore } from '../../core/memory/vector-store.js';
import { clusteredVectors, seededRandom } from '../../test/support/vectors.js';
import { banking77Queries, locomoConversations, percentile, printTable, tauBenchMessages, timeEach } from './memory-data.js';
import { formatMs, machine, printMedians } from './print.js';

console.log(`machine: ${machine()}`);
const conversations = locomoConversations();
const bucketOf = seededRandom(11);
/** Records whose `bucket` (0..999, seeded) lets a filter pass 0.1%, 1%, 5% or 50% of them. */
const recordsOf = (vectors: Float32Array[]): VectorRecord[] => vectors.map((vector, i) => ({ id: `v${i}`, vector, metadata: { bucket: Math.floor(bucketOf() * 1000) } }));
const latency = (durations: number[]) => [formatMs(percentile(durations, 50)), formatMs(percentile(durations, 95))];

// 1. Which HashingEmbedder configuration: LoCoMo QA, question -> evidence turn, IDF fitted on each conversation.
function retrievalQuality(options: HashingEmbedderOptions, fitted: boolean): [string, string] {
  let hits = 0;
  let reciprocal = 0;
  let asked = 0;
  for (const { turns, questions } of conversations) {
    const embedder = new HashingEmbedder(options);
    if (fitted) embedder.fit(turns.map((turn) => turn.text));
    const store = new ExactVectorStore({ embedderId: embedder.id, dimension: embedder.dimension });
    store.add(turns.map((turn, i) => ({ id: `${i}`, vector: embedder.embedText(turn.text), metadata: {} })));
    for (const { question, evidence } of questions) {
      const ranked = store.search(embedder.embedText(question), store.size);
      const rank = ranked.findIndex((hit) => evidence.includes(turns[Number(hit.id)]!.id));
      asked++;
      if (rank >= 0 && rank < 5) hits++;
      if (rank >= 0) reciprocal += 1 / (rank + 1);
    }
  }
  return [(hits / asked).toFixed(3), (reciprocal / asked).toFixed(3)];
}
const variants: [string, HashingEmbedderOptions, boolean][] = [
  ['256-d, words 1-2 + chars 3-5, IDF', { dimension: 256 }, true],
  ['512-d, words 1-2 + chars 3-5, IDF', { dimension: 512 }, true],
  ['**1024-d, words 1-2 + chars 3-5, IDF (default)**', {}, true],
  ['2048-d, words 1-2 + chars 3-5, IDF', { dimension: 2048 }, true],
  ['1024-d, words 1-2 + chars 3-5, no IDF', {}, false],
  ['1024-d, words 1-2 only, IDF', { charNgrams: null }, true],
  ['1024-d, chars 3-5 only, IDF', { wordNgrams: null }, true],
];
const questionCount = conversations.reduce((sum, c) => sum + c.questions.length, 0);
printTable(`HashingEmbedder retrieval quality (LoCoMo, ${questionCount} questions over 10 conversations, exact search)`, ['configuration', 'recall@5', 'MRR'], variants.map(([name, options, fitted]) => [name, ...retrievalQuality(options, fitted)]));

// 2. Real text: every LoCoMo turn, then tau-bench messages, then banking77 queries, up to 10,000.
const texts = [...conversations.flatMap((c) => c.turns.map((turn) => turn.text)), ...tauBenchMessages(), ...banking77Queries()].slice(0, 10_000);
const questions = conversations.flatMap((c) => c.questions.map((q) => q.question)).filter((_, i) => i % 10 === 0);
const embedder = new HashingEmbedder().fit(texts);
const throughput = new Bench({ name: `HashingEmbedder speed (${embedder.id})`, time: 1500 });
let cursor = 0;
throughput
  .add('embed one text (cycling through the 10,000)', () => void embedder.embedText(texts[cursor++ % texts.length]!))
  .add('fit IDF on 1,000 texts', () => void new HashingEmbedder().fit(texts.slice(0, 1000)));
await throughput.run();
printMedians(throughput);
const embedStart = performance.now();
const realVectors = texts.map((text) => embedder.embedText(text));
console.log(`\nembedding all ${texts.length.toLocaleString('en')} texts: ${formatMs(performance.now() - embedStart)} (${Math.round(texts.length / ((performance.now() - embedStart) / 1000)).toLocaleString('en')} texts/s)`);

/** Adds records one at a time; per-item insert times in ms. */
function build(store: VectorStore, records: readonly VectorRecord[]): number[] {
  return records.map((record) => {
    const started = performance.now();
    store.add([record]);
    return performance.now() - started;
  });
}
const insertRow = (label: string, inserts: number[]) => [label, formatMs(inserts.reduce((a, b) => a + b, 0)), formatMs(inserts.reduce((a, b) => a + b, 0) / inserts.length), ...latency(inserts)];
const recallAt10 = (store: VectorStore, queries: Float32Array[], truth: Set<string>[]) =>
  (queries.reduce((found, query, i) => found + store.search(query, 10).filter((hit) => truth[i]!.has(hit.id)).length, 0) / (10 * queries.length)).toFixed(3);

// 3. HNSW against exact on 10,000 real-text vectors; queries are LoCoMo questions.
const realRecords = recordsOf(realVectors);
const realExact = new ExactVectorStore({ embedderId: embedder.id, dimension: embedder.dimension });
const realHnsw = new HnswVectorStore({ embedderId: embedder.id, dimension: embedder.dimension });
const inserts = [insertRow('exact, 10,000 real-text 1024-d', build(realExact, realRecords)), insertRow('HNSW, 10,000 real-text 1024-d', build(realHnsw, realRecords))];
const realQueries = questions.map((question) => embedder.embedText(question));
const realTruth = realQueries.map((query) => new Set(realExact.search(query, 10).map((hit) => hit.id)));
const efRows = [10, 50, 200, 400].map((ef) => {
  realHnsw.ef = ef;
  return [`HNSW ef ${ef}`, recallAt10(realHnsw, realQueries, realTruth), ...latency(timeEach(realQueries, (query) => realHnsw.search(query, 10)))];
});
printTable(`recall@10 and query latency, 10,000 real-text vectors (${realQueries.length} LoCoMo questions; M 16, efConstruction 200)`, ['search', 'recall@10', 'p50', 'p95'], [
  ['exact', '1.000', ...latency(timeEach(realQueries, (query) => realExact.search(query, 10)))],
  ...efRows,
]);
realHnsw.ef = 200;

// 4. 100,000 synthetic vectors: 384-d, 200 Gaussian clusters, noise 2 per dimension (not enough real text for 100,000).
const nextSynthetic = clusteredVectors({ dimension: 384, clusters: 200, noise: 2, seed: 5 });
const synthetic = recordsOf(Array.from({ length: 100_000 }, nextSynthetic));
const syntheticQueries = Array.from({ length: 40 }, nextSynthetic);
const bigHnsw = new HnswVectorStore({ embedderId: 'synthetic', dimension: 384 });
inserts.push(insertRow('HNSW, 100,000 synthetic 384-d', build(bigHnsw, synthetic)));
const bigExact = new ExactVectorStore({ embedderId: 'synthetic', dimension: 384 });
inserts.push(insertRow('exact, 100,000 synthetic 384-d', build(bigExact, synthetic)));
printTable('insert latency (one record per add; HNSW grows from 1,024 slots by doubling)', ['store', 'total build', 'mean per item', 'p50', 'p95'], inserts);

// 5. Crossover: exact against HNSW (ef 200) as the collection grows.
const crossover = [100, 1000, 10_000, 100_000].map((size) => {
  const exact = size === 100_000 ? bigExact : new ExactVectorStore({ embedderId: 'synthetic', dimension: 384 });
  const hnsw = size === 100_000 ? bigHnsw : new HnswVectorStore({ embedderId: 'synthetic', dimension: 384 });
  if (size < 100_000) {
    exact.add(synthetic.slice(0, size));
    hnsw.add(synthetic.slice(0, size));
  }
  const truth = syntheticQueries.map((query) => new Set(exact.search(query, 10).map((hit) => hit.id)));
  const [exactP50, exactP95] = latency(timeEach(syntheticQueries, (query) => exact.search(query, 10)));
  const [hnswP50, hnswP95] = latency(timeEach(syntheticQueries, (query) => hnsw.search(query, 10)));
  return [size.toLocaleString('en'), exactP50!, exactP95!, hnswP50!, hnswP95!, recallAt10(hnsw, syntheticQueries, truth)];
});
printTable(`exact vs HNSW query latency, k 10, synthetic 384-d (${syntheticQueries.length} queries)`, ['vectors', 'exact p50', 'exact p95', 'HNSW p50', 'HNSW p95', 'HNSW recall@10'], crossover);

// 6. Filtered search: the graph with hnswlib's filter callback, an exact scan of the passing vectors, and the default (chosen from a sample).
function filteredRows(label: string, store: HnswVectorStore, queries: Float32Array[]): string[][] {
  const strategies: [string, number][] = [['graph', 0], ['scan', 1], ['default', 0.1]];
  return [1, 10, 50, 200, 500].map((passing) => {
    const filter = (metadata: Readonly<Record<string, unknown>>) => (metadata.bucket as number) < passing;
    store.exactFilterRate = 0;
    const graphHits = queries.reduce((sum, query) => sum + store.search(query, 10, filter).length, 0) / queries.length;
    const cells = strategies.map(([, rate]) => {
      store.exactFilterRate = rate;
      return formatMs(percentile(timeEach(queries, (query) => store.search(query, 10, filter)), 50));
    });
    return [label, `${passing / 10}%`, ...cells, graphHits.toFixed(1)];
  });
}
printTable('filtered query latency p50 (k 10, ef 200)', ['collection', 'filter passes', 'graph + filter callback', 'exact scan of passing', 'default (sampled, rate 0.1)', 'graph hits (of 10)'], [
  ...filteredRows('10,000 real-text 1024-d', realHnsw, realQueries.slice(0, 20)),
  ...filteredRows('100,000 synthetic 384-d', bigHnsw, syntheticQueries.slice(0, 10)),
]);
bigHnsw.exactFilterRate = 0.1;

// 7. Persistence: save (temp files, fsync, rename, sha256) and open (checksums, layout check, load, setEf).
const directory = mkdtempSync(join(tmpdir(), 'ctxbench-bench-store-'));
const persistence = ([['HNSW, 100,000 × 384-d', bigHnsw], ['exact, 100,000 × 384-d', bigExact]] as const).map(([label, store]) => {
  const path = join(directory, label.split(',')[0]!);
  const saving = performance.now();
  store.save(path);
  const saved = performance.now() - saving;
  const opening = performance.now();
  openVectorStore(path);
  return [label, formatMs(saved), formatMs(performance.now() - opening)];
});
rmSync(directory, { recursive: true, force: true });
printTable('persistence', ['store', 'save', 'open'], persistence);
