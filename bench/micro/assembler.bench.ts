// assemble() latency at the default 8,000-token profile with 10,000 memories in the store, offline
// components only (issue: routing and assembler). Run: npm run bench:assembler [-- --compare-sequential]
// --compare-sequential also stores the 10,000 memories one store() call at a time and checks that
// the bulk load ended in the same memories (ids, contents, merges).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { parseArgs } from 'node:util';
import {
  HashingEmbedder,
  IntentRouter,
  InMemoryCustomerData,
  KnowledgeBase,
  LinearIntentClassifier,
  LongTermMemory,
  MemoryRetrievalPipeline,
  ProductionContextAssembler,
  profileExamples,
  sharedCounter,
  TECHCORP_INTENTS,
  type ChatMessage,
} from '../../core/index.js';
import { locomoConversations, percentile, tauBenchMessages } from './memory-data.js';
import { formatMs, machine } from './print.js';

const { values: flags } = parseArgs({ options: { 'compare-sequential': { type: 'boolean', default: false } } });
const counter = sharedCounter('gpt-4o');
const texts = [...locomoConversations().flatMap((c) => c.turns.map((t) => t.text)), ...tauBenchMessages()].slice(0, 10_000);
const allQuestions = locomoConversations().flatMap((c) => c.questions.map((q) => q.question));
const questions = allQuestions.slice(0, 200);
const warmUp = allQuestions.slice(200, 400);

const inputs = texts.map((content, i) => ({ userId: 'customer-1', content, type: 'episodic' as const, createdAt: new Date(Date.UTC(2023, 0, 1) + i * 3_600_000).toISOString(), metadata: { thread: 'bench', position: i } }));
const memoryOptions = { embedder: new HashingEmbedder(), now: () => new Date('2024-06-01T00:00:00Z') };
const started = performance.now();
const longTerm = new LongTermMemory(memoryOptions);
const stored = await longTerm.storeMany(inputs);
const storeMs = performance.now() - started;
const merged = stored.filter((result) => result.action === 'updated').length;

const policy = readFileSync(new URL('../../datasets/data/tau-bench-airline/policy.md', import.meta.url), 'utf8');
const assembler = new ProductionContextAssembler({
  systemPrompt: 'You are the TechCorp support agent.',
  customers: new InMemoryCustomerData('bench', new Map([['customer-1', { profile: { name: 'Mia Li', plan: 'Pro' }, orders: [{ id: 'ORD-1', status: 'shipped', items: [{ name: 'Router' }] }] }]])),
  knowledge: new KnowledgeBase([{ id: 'policy', title: 'Policy', text: policy }], counter),
  router: new IntentRouter({ classifier: LinearIntentClassifier.train(profileExamples(TECHCORP_INTENTS)), lowConfidence: 'top-two' }),
  memory: {
    retrieve: async (query, options) => {
      const result = await new MemoryRetrievalPipeline({ longTerm, counter }).retrieve(query, { userId: options.userId, maxTokens: options.maxTokens });
      return { text: result.text, items: result.items };
    },
  },
  counter,
});
const history: ChatMessage[] = texts.slice(0, 30).map((content, i) => ({ role: i % 2 ? 'assistant' : 'user', content }));

/** Assembles every query once; per-stage timings in ms. */
async function pass(queries: readonly string[]): Promise<Record<string, number[]>> {
  const stages: Record<string, number[]> = {};
  for (const query of queries) {
    const { trace, messageTokens } = await assembler.assemble({ userId: 'customer-1', query, history });
    for (const [stage, ms] of Object.entries(trace.timings)) (stages[stage] ??= []).push(ms);
    if (messageTokens > 8000) throw new Error('budget exceeded');
  }
  return stages;
}
await pass(warmUp);
// Fresh: queries never assembled before (every cache cold for them). Repeated: the same queries again.
const fresh = await pass(questions);
const repeated = await pass(questions);
console.log(`machine: ${machine()}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
console.log(`stored ${texts.length.toLocaleString('en')} memories for one user with storeMany() in ${formatMs(storeMs)} (${merged} merged into near-duplicates)\n`);
console.log(`| stage | fresh queries p50 | p95 | repeated queries p50 | p95 |`);
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const stage of Object.keys(fresh)) {
  const cells = [fresh, repeated].flatMap((run) => [formatMs(percentile(run[stage]!, 50)), formatMs(percentile(run[stage]!, 95))]);
  console.log(`| ${stage} | ${cells.join(' | ')} |`);
}

// Loading a saved store: the same 10,000 memories saved, then opened (the graph and vectors read
// back, not rebuilt; the lexical index built in one batch per user), and searched like the original.
const savedDir = mkdtempSync(join(os.tmpdir(), 'ctxbench-bench-store-'));
try {
  const saving = performance.now();
  longTerm.save(savedDir);
  const saveMs = performance.now() - saving;
  const opening = performance.now();
  const reopened = LongTermMemory.open(savedDir, memoryOptions);
  const openMs = performance.now() - opening;
  // The same memories (ids, contents) with the same scores, for the first 50 questions (key order aside).
  const hitsOf = async (memory: LongTermMemory, query: string) => (await memory.search(query, { userId: 'customer-1', k: 10 })).map((hit) => [hit.memory.id, hit.memory.content, hit.score]);
  let sameHits = true;
  for (const probe of questions.slice(0, 50)) sameHits &&= JSON.stringify(await hitsOf(reopened, probe)) === JSON.stringify(await hitsOf(longTerm, probe));
  console.log(`
saved in ${formatMs(saveMs)}; opened with LongTermMemory.open() in ${formatMs(openMs)} (${await reopened.count('customer-1')} memories; the same search hits and scores as the original for 50 questions: ${sameHits ? 'yes' : 'NO'})`);
} finally {
  rmSync(savedDir, { recursive: true, force: true });
}

if (flags['compare-sequential']) {
  const oneByOne = new LongTermMemory(memoryOptions);
  const t = performance.now();
  for (const input of inputs) await oneByOne.store(input);
  const sequentialMs = performance.now() - t;
  // list() and count() are async: compared unawaited, two pending promises stringify alike ("{}").
  const same = JSON.stringify(await oneByOne.list('customer-1')) === JSON.stringify(await longTerm.list('customer-1'));
  console.log(`\none store() call per memory: ${formatMs(sequentialMs)}; ${await oneByOne.count('customer-1')} memories, the same as storeMany()'s ${await longTerm.count('customer-1')}: ${same ? 'yes' : 'NO'}`);
}
