import { readFileSync } from 'node:fs';
import { writeTextAtomically } from '../fs.js';
import type { z } from 'zod';
import { ConfigError, CtxbenchError, InputError } from '../errors.js';
import { firstIssue } from '../validation.js';

/** One intent of a ranking with the classifier's probability that it is the right one. */
export interface RankedIntent {
  label: string;
  /** 0..1; the confidences of one ranking sum to 1. */
  confidence: number;
}

/** A training example: a customer utterance and the intent it expresses. */
export interface LabelledExample {
  text: string;
  label: string;
}

/** Why a classifier handed a query to its fallback. */
export interface ClassifierFallback {
  /** The classifier that failed. */
  from: string;
  reason: string;
}

/** A classifier's answer for one query. */
export interface Classification {
  /** Every label the classifier knows, most likely first (ties by label); confidences sum to 1. */
  ranked: RankedIntent[];
  /** The classifier whose ranking this is (the fallback's name when one answered). */
  classifier: string;
  /** Set when the classifier fell back to another one, saying why. */
  fallback?: ClassifierFallback;
}

/** An intent classifier: ranks the labels it knows for a query, with calibrated confidences. */
export interface IntentClassifier {
  readonly name: string;
  readonly labels: readonly string[];
  classify(text: string): Promise<Classification>;
}

/** A model file is missing, unreadable, corrupt, or made for another kind of model. */
export class ModelFileError extends CtxbenchError {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super('E_MODEL_FILE', `${file}: ${problem}`, 'train the model again and save it to that path, or point to the right file');
  }
}

/** Labels with confidences `softmax(score / temperature)`, most likely first, ties broken by label. */
export function softmaxRanking(labels: readonly string[], scores: ArrayLike<number>, temperature: number): RankedIntent[] {
  const probabilities = softmax(scores, temperature);
  return labels
    .map((label, i) => ({ label, confidence: probabilities[i]! }))
    .sort(compareRanked);
}

/** Ranking order: higher confidence first, ties by label, so rankings are reproducible. */
export function compareRanked(a: RankedIntent, b: RankedIntent): number {
  return b.confidence - a.confidence || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0);
}

function softmax(scores: ArrayLike<number>, temperature: number): Float64Array {
  const max = maxOf(scores);
  const exps = new Float64Array(scores.length);
  let sum = 0;
  for (let i = 0; i < scores.length; i++) sum += exps[i] = Math.exp((scores[i]! - max) / temperature);
  for (let i = 0; i < exps.length; i++) exps[i]! /= sum;
  return exps;
}

function maxOf(scores: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < scores.length; i++) if (scores[i]! > max) max = scores[i]!;
  return max;
}

/** Mean negative log-likelihood of the true classes under `softmax(score / temperature)`: log-sum-exp minus the true score. */
function meanNll(rows: readonly ArrayLike<number>[], truth: readonly number[], temperature: number): number {
  let total = 0;
  rows.forEach((scores, r) => {
    const max = maxOf(scores);
    let sum = 0;
    for (let i = 0; i < scores.length; i++) sum += Math.exp((scores[i]! - max) / temperature);
    total += Math.log(sum) - (scores[truth[r]!]! - max) / temperature;
  });
  return total / rows.length;
}

/**
 * Temperature scaling (Guo et al., 2017): the temperature that minimises the negative log-likelihood
 * of held-out scores. The NLL is convex in 1/temperature, so a golden-section search on its log finds it.
 */
export function fitTemperature(rows: readonly ArrayLike<number>[], truth: readonly number[]): number {
  if (rows.length === 0) return 1;
  const loss = (logTemperature: number) => meanNll(rows, truth, Math.exp(logTemperature));
  const ratio = (Math.sqrt(5) - 1) / 2;
  let [low, high] = [Math.log(1e-3), Math.log(1e3)];
  let [a, b] = [high - ratio * (high - low), low + ratio * (high - low)];
  let [lossA, lossB] = [loss(a), loss(b)];
  for (let step = 0; step < 40; step++) {
    if (lossA <= lossB) {
      [high, b, lossB] = [b, a, lossA];
      a = high - ratio * (high - low);
      lossA = loss(a);
    } else {
      [low, a, lossA] = [a, b, lossB];
      b = low + ratio * (high - low);
      lossB = loss(b);
    }
  }
  return Math.exp((low + high) / 2);
}

/** Checks training examples at the edge: non-empty texts and labels, at least two labels. */
export function checkExamples(examples: readonly LabelledExample[]): string[] {
  examples.forEach((example, i) => {
    if (typeof example?.text !== 'string' || example.text.trim() === '') {
      throw new InputError(`examples[${i}].text must be a non-empty string, got ${JSON.stringify(example?.text)}`, 'drop empty examples before training');
    }
    if (typeof example.label !== 'string' || example.label === '') {
      throw new InputError(`examples[${i}].label must be a non-empty string, got ${JSON.stringify(example.label)}`, 'give every example its intent label');
    }
  });
  const labels = [...new Set(examples.map((example) => example.label))].sort();
  if (labels.length < 2) {
    throw new InputError(`examples must cover at least two labels, got ${labels.length}`, 'add labelled examples of every intent of the profile');
  }
  return labels;
}

/** Validates input against a schema at the edge; the ConfigError names the key, the value there and the fix. */
export function parseConfig<T>(schema: z.ZodType<T>, input: unknown, what: string, fix: string): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const { key, value, problem } = firstIssue(input, parsed.error);
  const shown = JSON.stringify(value) ?? 'undefined';
  throw new ConfigError(`invalid ${what}: ${key} = ${shown.length > 60 ? `${shown.slice(0, 60)}…` : shown} ${problem}`, fix);
}

/** Writes a model as JSON atomically (temporary file + rename), so a crash never leaves half a model. */
export function writeModelFile(file: string, model: unknown): void {
  try {
    writeTextAtomically(file, JSON.stringify(model));
  } catch (error) {
    throw new ModelFileError(file, `cannot be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/** Float32 values as base64 of their bytes, for model files. */
export function float32ToBase64(values: Float32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

/** Float32 values saved with {@link float32ToBase64}; a count other than `expected` is a ModelFileError naming the file and field. */
export function float32FromBase64(file: string, field: string, base64: string, expected: number, shape: string): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length !== expected * 4) throw new ModelFileError(file, `is corrupt: ${field} hold ${bytes.length / 4} values, expected ${expected} (${shape})`);
  const values = new Float32Array(expected);
  new Uint8Array(values.buffer).set(bytes);
  return values;
}

/** Reads a model file and validates it against `schema`; any problem is a ModelFileError naming the file. */
export function readModelFile<T>(file: string, schema: z.ZodType<T>, format: string): T {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ModelFileError(file, code ? `cannot be read (${code})` : `is not valid JSON (${(error as Error).message})`);
  }
  const found = (value as { format?: unknown } | null)?.format;
  if (found !== format) throw new ModelFileError(file, `is not a ${format} model (format ${JSON.stringify(found)})`);
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ModelFileError(file, `is corrupt: ${issue.path.join('.') || '(root)'} ${issue.message}`);
  }
  return parsed.data;
}
