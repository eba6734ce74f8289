// What a CPU-specific build of hnswlib would buy: the installed hnswlib-node (built by npm with the
// compiler's defaults: SSE, no AVX) against a copy rebuilt with `-O3 -march=native` (AVX/AVX-512
// where the CPU has them), on the two workloads the "Fast" issue's goals are bound by:
// - 10,000 real-text vectors (LoCoMo, tau-bench and banking77 texts, HashingEmbedder 1024-d):
//   graph build at efConstruction 100 (a memory store's) and search for 60 candidates at ef 200
//   (what assemble() asks of a large customer's store);
// - 100,000 synthetic 384-d vectors (bench:hnsw's collection): search at ef 64, k 10.
// Both builds run the same script in child processes, alternately, `--rounds` times each.
//   npm run bench:hnsw-native [-- --rounds 2 --size 100000]
// Needs a C++ compiler, make, python3 and the Node headers (`include/node` beside the node binary):
// what npm needed to build hnswlib-node at install. The native copy is built in a temporary folder;
// nothing in node_modules changes. Not the default: a binary built for one CPU can crash on another.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { HashingEmbedder } from '../../core/memory/embedding.js';
import { ExactVectorStore } from '../../core/memory/vector-store.js';
import { clusteredVectors } from '../../test/support/vectors.js';
import { banking77Queries, locomoConversations, percentile, tauBenchMessages } from './memory-data.js';
import { formatMs, machine } from './print.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '2' }, size: { type: 'string', default: '100000' }, child: { type: 'string' } } });

interface Measured {
  build1024Ms: number;
  search1024: [number, number];
  recall1024: number;
  search384: [number, number];
  recall384: number;
}

if (values.child) console.log(JSON.stringify(measure(values.child, Number(values.size))));
else parent();

function parent(): void {
  const native = buildNative();
  try {
    const rounds = Number(values.rounds);
    const results: Record<'installed' | 'native', Measured[]> = { installed: [], native: [] };
    for (let round = 0; round < rounds; round++) {
      for (const [name, dir] of [['installed', join(root, 'node_modules/hnswlib-node')], ['native', native]] as const) {
        const started = new Date().toISOString().slice(11, 19);
        const output = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', dir, '--size', values.size], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
        results[name].push(JSON.parse(output.trim().split('\n').at(-1)!) as Measured);
        console.error(`round ${round + 1}, ${name}: done (started ${started} UTC, load ${os.loadavg()[0]!.toFixed(1)})`);
      }
    }
    console.log(`machine: ${machine()}; ${new Date().toISOString().slice(0, 16)} UTC\n`);
    console.log('| hnswlib-node build | 10,000 x 1024-d: build (efConstruction 100) | search 60 at ef 200, p50 / p95 | recall@60 | 384-d search at ef 64, p50 / p95 | recall@10 |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const name of ['installed', 'native'] as const) {
      for (const m of results[name]) {
        console.log(
          `| ${name === 'installed' ? 'installed (npm defaults)' : '-O3 -march=native'} | ${formatMs(m.build1024Ms)} | ${formatMs(m.search1024[0])} / ${formatMs(m.search1024[1])} | ${m.recall1024.toFixed(3)} | ${formatMs(m.search384[0])} / ${formatMs(m.search384[1])} | ${m.recall384.toFixed(3)} |`,
        );
      }
    }
  } finally {
    rmSync(dirname(dirname(native)), { recursive: true, force: true });
  }
}

/** Copies hnswlib-node and what it loads to a temporary folder and rebuilds it for this CPU; its path. */
function buildNative(): string {
  const nodeDir = dirname(dirname(process.execPath));
  const gyp = join(nodeDir, 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
  if (!existsSync(join(nodeDir, 'include/node/node_api.h')) || !existsSync(gyp)) {
    throw new Error(`bench:hnsw-native needs the Node headers in ${join(nodeDir, 'include/node')} and npm's node-gyp at ${gyp}: install Node with its headers (the nodejs package of your distribution or the official tarball)`);
  }
  const modules = join(mkdtempSync(join(os.tmpdir(), 'hnswlib-native-')), 'node_modules');
  for (const name of ['hnswlib-node', 'node-addon-api', 'bindings', 'file-uri-to-path']) cpSync(join(root, 'node_modules', name), join(modules, name), { recursive: true });
  const dir = join(modules, 'hnswlib-node');
  console.error(`building hnswlib-node with -O3 -march=native in ${dir} ...`);
  try {
    execFileSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodeDir}`], { cwd: dir, env: { ...process.env, CXXFLAGS: '-O3 -march=native' }, stdio: 'pipe' });
  } catch (error) {
    rmSync(dirname(modules), { recursive: true, force: true });
    const { stderr } = error as { stderr?: Buffer };
    throw new Error(`building hnswlib-node with -march=native failed:\n${stderr?.toString().split('\n').slice(-20).join('\n') ?? String(error)}`);
  }
  return dir;
}

function measure(dir: string, size: number): Measured {
  const hnswlib = createRequire(import.meta.url)(dir) as typeof import('hnswlib-node');
  const plain = (vector: Float32Array) => Array.from(vector);
  const latencies = (queries: Float32Array[], search: (query: number[]) => unknown): [number, number] => {
    const arrays = queries.map(plain);
    search(arrays[0]!);
    const times = arrays.map((query) => {
      const started = performance.now();
      search(query);
      return performance.now() - started;
    });
    return [percentile(times, 50), percentile(times, 95)];
  };
  /** Recall@k of `found` against the exact cosine neighbours (the project's ExactVectorStore), labels being positions in `vectors`. */
  const recallOf = (queries: Float32Array[], vectors: Float32Array[], k: number, found: (query: number[]) => number[]) => {
    const exact = new ExactVectorStore({ embedderId: 'bench', dimension: vectors[0]!.length, initialCapacity: vectors.length });
    exact.add(vectors.map((vector, i) => ({ id: String(i), vector, metadata: {} })));
    let hits = 0;
    for (const query of queries) {
      const truth = new Set(exact.search(query, k).map((hit) => Number(hit.id)));
      hits += found(plain(query)).filter((label) => truth.has(label)).length;
    }
    return hits / (k * queries.length);
  };

  // 1. Real text, 1024-d, as a large customer's memory store.
  const conversations = locomoConversations();
  const texts = [...conversations.flatMap((c) => c.turns.map((turn) => turn.text)), ...tauBenchMessages(), ...banking77Queries()].slice(0, 10_000);
  const embedder = new HashingEmbedder().fit(texts);
  const vectors = texts.map((text) => embedder.embedText(text));
  const questions = conversations.flatMap((c) => c.questions.map((q) => q.question)).filter((_, i) => i % 10 === 0).map((q) => embedder.embedText(q));
  const text = new hnswlib.HierarchicalNSW('cosine', embedder.dimension);
  text.initIndex({ maxElements: vectors.length, m: 16, efConstruction: 100 });
  const arrays = vectors.map(plain);
  const building = performance.now();
  arrays.forEach((vector, label) => text.addPoint(vector, label));
  const build1024Ms = performance.now() - building;
  text.setEf(200);
  const search1024 = latencies(questions, (query) => text.searchKnn(query, 60));
  const recall1024 = recallOf(questions, vectors, 60, (query) => text.searchKnn(query, 60).neighbors);

  // 2. bench:hnsw's synthetic collection, 384-d, M 16, efConstruction 200.
  const next = clusteredVectors({ dimension: 384, clusters: 200, noise: 2, seed: 5 });
  const synthetic = Array.from({ length: size }, next);
  const queries = Array.from({ length: 500 }, next);
  const graph = new hnswlib.HierarchicalNSW('cosine', 384);
  graph.initIndex({ maxElements: size, m: 16, efConstruction: 200 });
  synthetic.forEach((vector, label) => graph.addPoint(plain(vector), label));
  graph.setEf(64);
  const search384 = latencies(queries, (query) => graph.searchKnn(query, 10));
  const recall384 = recallOf(queries, synthetic, 10, (query) => graph.searchKnn(query, 10).neighbors);
  return { build1024Ms, search1024, recall1024, search384, recall384 };
}
