// Zero-shot intent routing, measured where no reported turn is involved: SGD's training dialogues,
// routed with a profile built from the schema's descriptions only (no utterance), as ABCD's router
// must be built from its guidelines only. Compares the classifiers a profile could use:
//   npx tsx bench/zero-shot-routing.ts [--dir datasets/data/sgd/train]
// Every user turn that states an intent (an INFORM_INTENT action) is a query; its label is the
// frame's domain and active intent. Prints a Markdown table with 95% bootstrap intervals.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { HashingEmbedder } from '../core/memory/embedding.js';
import { Bm25Index } from '../core/retrieval/bm25.js';
import { CentroidIntentClassifier } from '../core/routing/centroid-classifier.js';
import type { IntentClassifier, LabelledExample } from '../core/routing/classifier.js';
import { profileExamples, type IntentProfile } from '../core/routing/intent-profile.js';
import { LinearIntentClassifier } from '../core/routing/linear-classifier.js';
import { bootstrapMean } from '../core/stats.js';
import { dialoguePaths } from '../datasets/sgd.js';
import { sgdIntentProfile } from '../datasets/sgd-intents.js';
import { intentLabel, readSchema } from '../datasets/sgd-schema.js';

/** A ranking of labels for a query, best first. */
export type Ranker = (query: string) => Promise<readonly string[]>;

/** The user turns of SGD dialogues that state an intent of `labels`, labelled `<domain>/<intent>`. */
export function intentStatements(dialogues: readonly unknown[], labels: ReadonlySet<string>): LabelledExample[] {
  const statements: LabelledExample[] = [];
  for (const dialogue of dialogues as Array<{ turns?: unknown }>) {
    for (const turn of Array.isArray(dialogue?.turns) ? (dialogue.turns as Array<{ speaker?: unknown; utterance?: unknown; frames?: unknown }>) : []) {
      if (turn?.speaker !== 'USER' || typeof turn.utterance !== 'string' || !Array.isArray(turn.frames)) continue;
      for (const frame of turn.frames as Array<{ service?: unknown; actions?: unknown; state?: { active_intent?: unknown } }>) {
        const states = Array.isArray(frame?.actions) && (frame.actions as Array<{ act?: unknown }>).some((action) => action?.act === 'INFORM_INTENT');
        if (!states || typeof frame.service !== 'string' || typeof frame.state?.active_intent !== 'string') continue;
        const label = intentLabel(frame.service, frame.state.active_intent);
        if (labels.has(label)) statements.push({ text: turn.utterance, label });
      }
    }
  }
  return statements;
}

/** A classifier's ranking as a {@link Ranker}. */
export function classifierRanker(classifier: IntentClassifier): Ranker {
  return async (query) => (await classifier.classify(query)).ranked.map((intent) => intent.label);
}

/** BM25 over one document per intent (all its examples): the intent whose description shares the query's rarest words first. */
export function lexicalRanker(profile: IntentProfile): Ranker {
  const index = new Bm25Index();
  index.add(profile.intents.map((intent) => ({ id: intent.name, text: intent.examples.join('\n') })));
  return async (query) => index.search(query, profile.intents.length).map((hit) => hit.id);
}

/** Top-1 and top-3 accuracy of `rank` over `queries`, each with its 95% bootstrap interval. */
export async function accuracy(rank: Ranker, queries: readonly LabelledExample[]): Promise<{ top1: ReturnType<typeof bootstrapMean>; top3: ReturnType<typeof bootstrapMean> }> {
  const top1: number[] = [];
  const top3: number[] = [];
  for (const { text, label } of queries) {
    const ranking = await rank(text);
    top1.push(ranking[0] === label ? 1 : 0);
    top3.push(ranking.slice(0, 3).includes(label) ? 1 : 0);
  }
  return { top1: bootstrapMean(top1, 1), top3: bootstrapMean(top3, 2) };
}

async function main(): Promise<void> {
  const bundled = fileURLToPath(new URL('../datasets/data/sgd/train', import.meta.url));
  const { values } = parseArgs({ options: { dir: { type: 'string', default: bundled } } });
  const schemaFile = join(values.dir, 'schema.json');
  const schema = readSchema(schemaFile, JSON.parse(readFileSync(schemaFile, 'utf8')));
  const profile = sgdIntentProfile(schema, undefined, []);
  const labels = new Set(profile.intents.map((intent) => intent.name));
  const dialogues = (await dialoguePaths('dir', values.dir)).flatMap((file) => JSON.parse(readFileSync(file, 'utf8')) as unknown[]);
  const queries = intentStatements(dialogues, labels);
  const examples = profileExamples(profile);
  const rankers: Array<[string, Ranker]> = [
    ['linear (word 1-2 + char 2-5 TF-IDF, L2-SVM; every dataset\'s router)', classifierRanker(LinearIntentClassifier.train(examples))],
    ['centroid (HashingEmbedder 1024-d, cosine to each intent\'s mean)', classifierRanker(await CentroidIntentClassifier.train(examples, new HashingEmbedder()))],
    ['lexical (BM25 over one document per intent)', lexicalRanker(profile)],
  ];
  console.log(`## Zero-shot routing on SGD's training dialogues (descriptions only)\n`);
  console.log(`${labels.size} intents described by ${examples.length} schema texts; ${queries.length} user turns stating an intent, from ${values.dir}\n`);
  console.log('| classifier | top-1 | top-3 |');
  console.log('| --- | ---: | ---: |');
  for (const [name, rank] of rankers) {
    const { top1, top3 } = await accuracy(rank, queries);
    const cell = (e: ReturnType<typeof bootstrapMean>) => `${e.mean.toFixed(3)} [${e.ci95[0].toFixed(2)}, ${e.ci95[1].toFixed(2)}]`;
    console.log(`| ${name} | ${cell(top1)} | ${cell(top3)} |`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
