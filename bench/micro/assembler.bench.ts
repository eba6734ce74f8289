// assemble() latency at the default 8,000-token profile with 10,000 memories in the store, offline
// components only (issue: routing and assembler). Run: npx tsx bench/micro/assembler.bench.ts
import { readFileSync } from 'node:fs';
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
import { locomoConversations, tauBenchMessages } from './memory-data.js';
import { formatMs, machine } from './print.js';

const counter = sharedCounter('gpt-4o');
const texts = [...locomoConversations().flatMap((c) => c.turns.map((t) => t.text)), ...tauBenchMessages()].slice(0, 10_000);
const questions = locomoConversations().flatMap((c) => c.questions.map((q) => q.question)).slice(0, 200);

const started = performance.now();
const longTerm = new LongTermMemory({ embedder: new HashingEmbedder(), now: () => new Date('2024-06-01T00:00:00Z') });
await longTerm.storeMany(texts.map((content, i) => ({ userId: 'customer-1', content, type: 'episodic' as const, createdAt: new Date(Date.UTC(2023, 0, 1) + i * 3_600_000).toISOString(), metadata: { thread: 'bench', position: i } })));
const storeMs = performance.now() - started;

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

const latencies: number[] = [];
const stages: Record<string, number[]> = {};
for (const [i, query] of [...questions, ...questions].entries()) {
  const t = performance.now();
  const { trace, messageTokens } = await assembler.assemble({ userId: 'customer-1', query, history });
  if (i >= questions.length) {
    latencies.push(performance.now() - t);
    for (const [stage, ms] of Object.entries(trace.timings)) (stages[stage] ??= []).push(ms);
  }
  if (messageTokens > 8000) throw new Error('budget exceeded');
}
const pct = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;
console.log(`machine: ${machine()}\n`);
console.log(`stored 10,000 memories for one user in ${formatMs(storeMs)}\n`);
console.log('| stage | p50 | p95 |');
console.log('| --- | ---: | ---: |');
console.log(`| assemble() total | ${formatMs(pct(latencies, 50))} | ${formatMs(pct(latencies, 95))} |`);
for (const [stage, values] of Object.entries(stages)) console.log(`| ${stage} | ${formatMs(pct(values, 50))} | ${formatMs(pct(values, 95))} |`);
