// Measures the offline intent classifier (and a TF-IDF + ridge baseline) on `text,category` CSVs:
//   npx tsx bench/intent-eval.ts [--train <csv>] [--test <csv>] [--folds 5] [--seed 1] [--save <model.json>]
// --save writes the default classifier trained on the whole training file.
// Without --test: stratified k-fold cross-validation on the training file (bundled banking77 train.csv
// by default). With --test: trains on the whole training file and scores the held-out file (add
// --folds to cross-validate as well). Prints a Markdown table.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { LabelledExample } from '../core/routing/classifier.js';
import { LinearIntentClassifier, type LinearClassifierOptions } from '../core/routing/linear-classifier.js';
import { percentile, seededRandom } from '../core/stats.js';
import { readLabelledExamples } from '../datasets/intent-profiles.js';

/** A classifier configuration under evaluation. */
export interface ModelSpec {
  name: string;
  options: Partial<LinearClassifierOptions>;
}

/** The default offline classifier and the plain TF-IDF + ridge baseline it is compared with. */
export const MODELS: readonly ModelSpec[] = [
  { name: 'linear: word 1-2 + char 2-5 TF-IDF, L2-SVM (default)', options: {} },
  { name: 'baseline: word 1-2 TF-IDF, ridge', options: { loss: 'squared', c: 0.5, features: { charNgrams: null, minDf: 1 } } },
];

/** What one evaluation measured. */
export interface Evaluation {
  examples: number;
  accuracy: number;
  macroF1: number;
  /** Expected calibration error of the top confidence, 15 equal-width bins. */
  ece: number;
  trainSeconds: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
}

/** Fold index of each example: each label's examples are shuffled (seeded) and dealt round-robin. */
export function stratifiedFolds(labels: readonly string[], folds: number, seed: number): number[] {
  const random = seededRandom(seed);
  const byLabel = new Map<string, number[]>();
  labels.forEach((label, i) => (byLabel.get(label) ?? byLabel.set(label, []).get(label)!).push(i));
  const assignment = new Array<number>(labels.length).fill(0);
  let next = 0;
  for (const label of [...byLabel.keys()].sort()) {
    const members = byLabel.get(label)!;
    for (let i = members.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [members[i], members[j]] = [members[j]!, members[i]!];
    }
    for (const index of members) assignment[index] = next++ % folds;
  }
  return assignment;
}

/** Macro-averaged F1 over every label that occurs as truth or prediction. */
export function macroF1(truth: readonly string[], predicted: readonly string[]): number {
  const labels = [...new Set([...truth, ...predicted])];
  const f1s = labels.map((label) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    truth.forEach((actual, i) => {
      if (predicted[i] === label && actual === label) tp++;
      else if (predicted[i] === label) fp++;
      else if (actual === label) fn++;
    });
    return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  });
  return f1s.reduce((sum, f1) => sum + f1, 0) / labels.length;
}

/** Expected calibration error: the bin-weighted gap between mean top confidence and accuracy. */
export function expectedCalibrationError(confidences: readonly number[], correct: readonly boolean[], bins = 15): number {
  const totals = Array.from({ length: bins }, () => ({ count: 0, confidence: 0, correct: 0 }));
  confidences.forEach((confidence, i) => {
    const bin = totals[Math.min(bins - 1, Math.floor(confidence * bins))]!;
    bin.count++;
    bin.confidence += confidence;
    bin.correct += correct[i] ? 1 : 0;
  });
  return totals.reduce((sum, bin) => sum + Math.abs(bin.confidence - bin.correct) / Math.max(1, confidences.length), 0);
}

/** Trains on `train` and scores `test`, timing training and every query. */
export function evaluate(spec: ModelSpec, train: readonly LabelledExample[], test: readonly LabelledExample[]): { evaluation: Evaluation; model: LinearIntentClassifier } {
  const started = performance.now();
  const model = LinearIntentClassifier.train(train, spec.options);
  const trainSeconds = (performance.now() - started) / 1000;
  const latencies: number[] = [];
  const predicted: string[] = [];
  const confidences: number[] = [];
  for (const { text } of test) {
    const before = performance.now();
    const [top] = model.classifySync(text).ranked;
    latencies.push(performance.now() - before);
    predicted.push(top!.label);
    confidences.push(top!.confidence);
  }
  const truth = test.map((example) => example.label);
  const correct = truth.map((label, i) => label === predicted[i]);
  const evaluation: Evaluation = {
    examples: test.length,
    accuracy: correct.filter(Boolean).length / Math.max(1, test.length),
    macroF1: macroF1(truth, predicted),
    ece: expectedCalibrationError(confidences, correct),
    trainSeconds,
    latencyP50Ms: percentile(latencies, 50),
    latencyP95Ms: percentile(latencies, 95),
  };
  return { evaluation, model };
}

/** Stratified k-fold cross-validation; each metric is the mean over the folds. */
export function crossValidate(spec: ModelSpec, examples: readonly LabelledExample[], folds: number, seed: number): Evaluation {
  const assignment = stratifiedFolds(examples.map((example) => example.label), folds, seed);
  const runs = Array.from({ length: folds }, (_, fold) => {
    const train = examples.filter((_, i) => assignment[i] !== fold);
    const test = examples.filter((_, i) => assignment[i] === fold);
    return evaluate(spec, train, test).evaluation;
  });
  const meanOf = (key: keyof Evaluation) => runs.reduce((sum, run) => sum + run[key], 0) / runs.length;
  return {
    examples: examples.length,
    accuracy: meanOf('accuracy'),
    macroF1: meanOf('macroF1'),
    ece: meanOf('ece'),
    trainSeconds: meanOf('trainSeconds'),
    latencyP50Ms: meanOf('latencyP50Ms'),
    latencyP95Ms: meanOf('latencyP95Ms'),
  };
}

/** One row per model and evaluation, as a Markdown table. */
export function markdownTable(rows: ReadonlyArray<{ model: string; evaluation: string; result: Evaluation }>): string {
  const header = ['model', 'evaluation', 'examples', 'accuracy', 'macro-F1', 'ECE', 'train s', 'p50 ms/query', 'p95 ms/query'];
  const lines = rows.map(({ model, evaluation, result: r }) =>
    [model, evaluation, String(r.examples), r.accuracy.toFixed(4), r.macroF1.toFixed(4), r.ece.toFixed(4), r.trainSeconds.toFixed(1), r.latencyP50Ms.toFixed(3), r.latencyP95Ms.toFixed(3)],
  );
  return [header, header.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

function wholeNumber(flag: string, value: string, minimum: number): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < minimum) throw new Error(`--${flag} must be a whole number of at least ${minimum}, got "${value}"`);
  return parsed;
}

/** Runs the command line; returns the Markdown table. */
export async function main(args: readonly string[]): Promise<string> {
  const { values } = parseArgs({
    args: [...args],
    options: { train: { type: 'string' }, test: { type: 'string' }, folds: { type: 'string' }, seed: { type: 'string', default: '1' }, save: { type: 'string' } },
    strict: true,
  });
  const seed = wholeNumber('seed', values.seed, 0);
  const folds = values.folds === undefined ? (values.test ? 0 : 5) : wholeNumber('folds', values.folds, 2);
  const train = await readLabelledExamples(values.train);
  const test = values.test ? await readLabelledExamples(values.test) : undefined;
  let trained: LinearIntentClassifier | undefined;
  const rows = MODELS.flatMap((spec, index) => {
    const cv = folds > 0 ? [{ model: spec.name, evaluation: `${folds}-fold CV (seed ${seed})`, result: crossValidate(spec, train, folds, seed) }] : [];
    if (!test) return cv;
    const { evaluation, model } = evaluate(spec, train, test);
    if (index === 0) trained = model;
    return [...cv, { model: spec.name, evaluation: 'held-out test file', result: evaluation }];
  });
  if (values.save) (trained ?? LinearIntentClassifier.train(train, MODELS[0]!.options)).save(values.save);
  return markdownTable(rows);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (table) => console.log(table),
    (error: unknown) => {
      console.error(`intent-eval: ${(error as Error).message}`);
      process.exitCode = 1;
    },
  );
}
