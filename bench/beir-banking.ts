/**
 * "Any BEIR corpus": a second, larger knowledge base than the bundled airline policy, made from
 * the bundled banking77 training split as an FAQ of example questions. Each intent gets two
 * documents of ten example questions (154 documents); every 40th of its remaining examples
 * becomes a query (249), whose relevant documents are its intent's two. Replays it with the
 * `beir` loader through production (its default settings: nothing is tuned on this corpus) and
 * rag at several budgets, and prints document recall against tokens, so production can be read
 * against rag at the same budget.
 *   npx tsx bench/beir-banking.ts [--out <dir>] [--rag-budgets 400,600,750,800,1000] [--knowledge-floors 0,0.3]
 *     [--examples-per-document 10 --documents-per-intent 2 --query-stride 40]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Aggregate } from '../core/index.js';
import { datasets } from '../datasets/index.js';
import { strategies } from '../strategies/index.js';
import { banking77Examples } from './micro/memory-data.js';
import { machine } from './micro/print.js';
import { runBenchmark } from './runner/run.js';

/** How the FAQ is cut: examples per document and documents per intent (the rest are candidate queries), every n-th remaining example a query. */
export interface BankingBeirShape {
  examplesPerDocument: number;
  documentsPerIntent: number;
  queryStride: number;
}

/** Two documents of ten examples per intent: an FAQ whose documents answer a kind of question. */
export const FAQ_SHAPE: BankingBeirShape = { examplesPerDocument: 10, documentsPerIntent: 2, queryStride: 40 };

/** Where {@link writeBankingBeir} put the three files. */
export interface BeirFiles {
  corpus: string;
  queries: string;
  qrels: string;
  documents: number;
  queryCount: number;
}

/** Writes the banking77 FAQ corpus in BEIR layout under `dir` (corpus.jsonl, queries.jsonl, qrels/test.tsv). */
export function writeBankingBeir(dir: string, shape: BankingBeirShape = FAQ_SHAPE): BeirFiles {
  const { examplesPerDocument, documentsPerIntent, queryStride } = shape;
  const byIntent = new Map<string, { row: number; text: string }[]>();
  banking77Examples().forEach((example, row) => {
    const examples = byIntent.get(example.category) ?? [];
    examples.push({ row, text: example.text });
    byIntent.set(example.category, examples);
  });
  const corpus: string[] = [];
  const queries: string[] = [];
  const qrels = ['query-id\tcorpus-id\tscore'];
  for (const [intent, examples] of [...byIntent].sort(([a], [b]) => a.localeCompare(b))) {
    const ids: string[] = [];
    for (let d = 0; d < documentsPerIntent; d++) {
      const id = `${intent}-${d}`;
      ids.push(id);
      const text = examples.slice(d * examplesPerDocument, (d + 1) * examplesPerDocument).map((example) => example.text.trim());
      corpus.push(JSON.stringify({ _id: id, title: intent.replaceAll('_', ' '), text: text.join('\n') }));
    }
    examples.slice(documentsPerIntent * examplesPerDocument).forEach((example, k) => {
      if (k % queryStride !== 0) return;
      queries.push(JSON.stringify({ _id: `q${example.row}`, text: example.text.trim() }));
      for (const id of ids) qrels.push(`q${example.row}\t${id}\t1`);
    });
  }
  mkdirSync(join(dir, 'qrels'), { recursive: true });
  const files = { corpus: join(dir, 'corpus.jsonl'), queries: join(dir, 'queries.jsonl'), qrels: join(dir, 'qrels', 'test.tsv') };
  writeFileSync(files.corpus, `${corpus.join('\n')}\n`);
  writeFileSync(files.queries, `${queries.join('\n')}\n`);
  writeFileSync(files.qrels, `${qrels.join('\n')}\n`);
  return { ...files, documents: corpus.length, queryCount: queries.length };
}

const row = (label: string, a: Aggregate) => {
  const recall = a.metrics.documentRecall!;
  return `| ${label} | ${Math.round(a.inputTokens.mean)} (${Math.round(a.inputTokens.p50)} / ${Math.round(a.inputTokens.p95)}) | ${recall.mean.toFixed(3)} [${recall.ci95[0].toFixed(3)}, ${recall.ci95[1].toFixed(3)}] |`;
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: join(tmpdir(), 'ctxbench-beir-banking') },
      'rag-budgets': { type: 'string', default: '400,600,750,800,1000' },
      'examples-per-document': { type: 'string', default: String(FAQ_SHAPE.examplesPerDocument) },
      'documents-per-intent': { type: 'string', default: String(FAQ_SHAPE.documentsPerIntent) },
      'query-stride': { type: 'string', default: String(FAQ_SHAPE.queryStride) },
      'knowledge-floors': { type: 'string' },
    },
  });
  const shape = { examplesPerDocument: Number(values['examples-per-document']), documentsPerIntent: Number(values['documents-per-intent']), queryStride: Number(values['query-stride']) };
  for (const [key, value] of Object.entries(shape)) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be a whole number above zero, got ${value}`);
  }
  const files = writeBankingBeir(values.out, shape);
  const dataset = { name: 'beir', options: { corpus: files.corpus, queries: files.queries, qrels: files.qrels } };
  const budgets = values['rag-budgets'].split(',').map(Number);
  // One run per strategy variant: a run compares distinct strategies, not option variants of one.
  const replay = async (strategy: { name: string; options?: Record<string, unknown> }) =>
    (await runBenchmark({ datasets: [dataset], strategies: [strategy], registries: { datasets, strategies }, concurrency: 2, perTurn: false })).aggregates[0]!;
  const rows = [row('production (default settings)', await replay({ name: 'production' }))];
  // Other depths of production's knowledge (its knowledgeFloor option), to read its own curve against rag's.
  for (const floor of values['knowledge-floors']?.split(',').map(Number) ?? []) rows.push(row(`production, knowledgeFloor ${floor}`, await replay({ name: 'production', options: { knowledgeFloor: floor } })));
  for (const maxTokens of budgets) rows.push(row(`rag, maxTokens ${maxTokens}`, await replay({ name: 'rag', options: { maxTokens } })));
  console.log(`banking77 as a BEIR FAQ (${files.documents} documents of ${shape.examplesPerDocument} examples, ${files.queryCount} queries, ${shape.documentsPerIntent} relevant documents each), written to ${values.out}; ${machine()}\n`);
  console.log('| strategy | tokens a call (mean, p50 / p95) | document recall [95% CI] |');
  console.log('| --- | ---: | ---: |');
  for (const line of rows) console.log(line);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
