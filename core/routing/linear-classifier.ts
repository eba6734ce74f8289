import { z } from 'zod';
import { seededRandom } from '../stats.js';
import {
  checkExamples,
  fitTemperature,
  float32FromBase64,
  float32ToBase64,
  parseConfig,
  readModelFile,
  softmaxRanking,
  writeModelFile,
  type Classification,
  type IntentClassifier,
  type LabelledExample,
} from './classifier.js';
import { TfidfVectorizer, tfidfOptionsSchema, tfidfStateSchema, type SparseVector, type TfidfOptions } from './tfidf.js';

/** How the offline linear classifier is trained. */
export interface LinearClassifierOptions {
  /**
   * TF-IDF features. @default word 1-2-grams and character 2-5-grams; minDf 2 from 1,000 examples
   * on (a compact model), 1 below (small profiles need their rare words)
   */
  features: Partial<TfidfOptions>;
  /** Loss of each one-vs-rest model: `squared-hinge` (L2-loss linear SVM) or `squared` (ridge). @default 'squared-hinge' */
  loss: 'squared-hinge' | 'squared';
  /** Inverse regularisation strength. @default 1 */
  c: number;
  /** Most passes of dual coordinate descent over the examples. @default 30 */
  maxEpochs: number;
  /** Stop when the spread of projected gradients in a pass falls below this. @default 0.1 */
  tolerance: number;
  /** Share of each intent's examples held out to fit the softmax temperature; 0 keeps temperature 1. @default 0.2 */
  calibrationShare: number;
  /** Seed of the example order (and of the calibration split). @default 1 */
  seed: number;
}

const DEFAULTS: LinearClassifierOptions = { features: {}, loss: 'squared-hinge', c: 1, maxEpochs: 30, tolerance: 0.1, calibrationShare: 0.2, seed: 1 };
const FORMAT = 'ctxbench-linear-intent-classifier';

const optionsSchema = z
  .object({
    features: tfidfOptionsSchema.partial(),
    loss: z.enum(['squared-hinge', 'squared'], { error: 'must be "squared-hinge" or "squared"' }),
    c: z.number().positive('must be a positive regularisation constant, e.g. 1'),
    maxEpochs: z.number().int().min(1, 'must be a whole number of passes of at least 1'),
    tolerance: z.number().positive('must be a small positive number, e.g. 0.1'),
    calibrationShare: z.number().min(0, 'must be a share from 0 to 0.5').max(0.5, 'must be a share from 0 to 0.5'),
    seed: z.number().int('must be a whole number'),
  })
  .strict();

const modelSchema = z.object({
  format: z.literal(FORMAT),
  version: z.literal(1),
  labels: z.array(z.string()).min(2),
  temperature: z.number().positive(),
  vectorizer: tfidfStateSchema,
  /** Feature-major float32 weights, bias row last, base64. */
  weights: z.string(),
});

/**
 * Examples as feature vectors in one compressed sparse row layout (example i's features are
 * indices/values[offsets[i] .. offsets[i + 1]]), plus each example's label index.
 */
interface TrainingSet {
  offsets: Int32Array;
  indices: Int32Array;
  values: Float64Array;
  targets: Int32Array;
}

function compressedRows(vectors: readonly SparseVector[], targets: Int32Array): TrainingSet {
  const offsets = new Int32Array(vectors.length + 1);
  for (let i = 0; i < vectors.length; i++) offsets[i + 1] = offsets[i]! + vectors[i]!.indices.length;
  const indices = new Int32Array(offsets[vectors.length]!);
  const values = new Float64Array(offsets[vectors.length]!);
  vectors.forEach((vector, i) => {
    indices.set(vector.indices, offsets[i]!);
    values.set(vector.values, offsets[i]!);
  });
  return { offsets, indices, values, targets };
}

/**
 * The offline intent classifier: TF-IDF word and character n-grams, one-vs-rest linear models
 * trained by dual coordinate descent (Hsieh et al., 2008, as in liblinear), and a softmax over
 * their scores whose temperature is fitted on held-out examples, so confidences are calibrated.
 */
export class LinearIntentClassifier implements IntentClassifier {
  readonly name = 'linear';

  private constructor(
    readonly labels: readonly string[],
    private readonly vectorizer: TfidfVectorizer,
    /** Feature-major: weights[feature * labels + label]; the last row is the bias. */
    private readonly weights: Float32Array,
    /** Softmax temperature fitted on held-out examples. */
    readonly temperature: number,
  ) {}

  /** Trains on labelled examples; the same examples and options always give the same model. */
  static train(examples: readonly LabelledExample[], options: Partial<LinearClassifierOptions> = {}): LinearIntentClassifier {
    const steps = LinearIntentClassifier.training(examples, options);
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
    }
  }

  /**
   * {@link train} in slices, giving the event loop a turn after each label's model, so a long
   * training (banking77: seconds) never blocks signal handlers such as Ctrl-C. Same model as train.
   */
  static async trainAsync(examples: readonly LabelledExample[], options: Partial<LinearClassifierOptions> = {}): Promise<LinearIntentClassifier> {
    const steps = LinearIntentClassifier.training(examples, options);
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** The training, as steps: it yields after each one-vs-rest model and returns the classifier. */
  private static *training(examples: readonly LabelledExample[], options: Partial<LinearClassifierOptions>): Generator<void, LinearIntentClassifier> {
    const resolved = resolveOptions(options);
    const labels = checkExamples(examples);
    const { fit, held } = calibrationSplit(examples, resolved);
    let temperature = 1;
    if (held.length > 0) {
      const draft = yield* LinearIntentClassifier.fit(fit, labels, resolved, 1);
      temperature = fitTemperature(held.map((example) => draft.scores(example.text)), held.map((example) => labels.indexOf(example.label)));
    }
    return yield* LinearIntentClassifier.fit(examples, labels, resolved, temperature);
  }

  /** Loads a model saved with {@link save}; a missing, corrupt or mismatched file is a ModelFileError. */
  static load(file: string): LinearIntentClassifier {
    const model = readModelFile(file, modelSchema, FORMAT);
    const vectorizer = TfidfVectorizer.fromState(model.vectorizer);
    const weights = float32FromBase64(file, 'weights', model.weights, (vectorizer.dimension + 1) * model.labels.length, '(features + 1) x labels');
    return new LinearIntentClassifier(model.labels, vectorizer, weights, model.temperature);
  }

  /** Saves the model as JSON, atomically. */
  save(file: string): void {
    const weights = float32ToBase64(this.weights);
    writeModelFile(file, { format: FORMAT, version: 1, labels: this.labels, temperature: this.temperature, vectorizer: this.vectorizer.toState(), weights });
  }

  async classify(text: string): Promise<Classification> {
    return this.classifySync(text);
  }

  /** {@link classify} without the promise: the model is in memory. */
  classifySync(text: string): Classification {
    return { ranked: softmaxRanking(this.labels, this.scores(text), this.temperature), classifier: this.name };
  }

  /** The raw one-vs-rest margin of every label. */
  private scores(text: string): Float64Array {
    const classes = this.labels.length;
    const { indices, values } = this.vectorizer.transform(text);
    const scores = Float64Array.from(this.weights.subarray(this.vectorizer.dimension * classes));
    for (let k = 0; k < indices.length; k++) {
      const row = indices[k]! * classes;
      const value = values[k]!;
      for (let c = 0; c < classes; c++) scores[c]! += value * this.weights[row + c]!;
    }
    return scores;
  }

  /** Fits features and one linear model per label on `examples`, with a given softmax temperature. */
  private static *fit(examples: readonly LabelledExample[], labels: readonly string[], options: LinearClassifierOptions, temperature: number): Generator<void, LinearIntentClassifier> {
    const features = { minDf: examples.length >= 1000 ? 2 : 1, ...options.features };
    const vectorizer = TfidfVectorizer.fit(examples.map((example) => example.text), features);
    const index = new Map(labels.map((label, i) => [label, i]));
    yield;
    const vectors: SparseVector[] = [];
    for (const example of examples) {
      vectors.push(vectorizer.transform(example.text));
      if (vectors.length % 500 === 0) yield;
    }
    const set = compressedRows(vectors, Int32Array.from(examples, (example) => index.get(example.label)!));
    const dimension = vectorizer.dimension;
    const weights = new Float32Array((dimension + 1) * labels.length);
    const random = seededRandom(options.seed);
    // The diagonal of the dual's Hessian is the same for every label's model.
    const diagonal = 1 / (2 * options.c);
    const qii = Float64Array.from(vectors, ({ values }) => values.reduce((sum, v) => sum + v * v, 1) + diagonal);
    for (let label = 0; label < labels.length; label++) {
      const w = trainBinary(set, qii, label, dimension, random, options);
      for (let f = 0; f <= dimension; f++) weights[f * labels.length + label] = w[f]!;
      yield;
    }
    return new LinearIntentClassifier(labels, vectorizer, weights, temperature);
  }
}

function resolveOptions(options: Partial<LinearClassifierOptions>): LinearClassifierOptions {
  return parseConfig(optionsSchema, { ...DEFAULTS, ...options }, 'linear classifier options', 'correct that option, or leave it out for its default') as LinearClassifierOptions;
}

/** Holds out `calibrationShare` of each label's examples (in seeded order), keeping at least one to train on. */
function calibrationSplit(examples: readonly LabelledExample[], options: LinearClassifierOptions): { fit: LabelledExample[]; held: LabelledExample[] } {
  const random = seededRandom(options.seed);
  const byLabel = new Map<string, LabelledExample[]>();
  for (const example of examples) (byLabel.get(example.label) ?? byLabel.set(example.label, []).get(example.label)!).push(example);
  const fit: LabelledExample[] = [];
  const held: LabelledExample[] = [];
  for (const group of byLabel.values()) {
    const shuffled = shuffle(group, random);
    const count = Math.min(Math.floor(group.length * options.calibrationShare), group.length - 1);
    held.push(...shuffled.slice(0, count));
    fit.push(...shuffled.slice(count));
  }
  return { fit, held };
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  shuffleInPlace(copy, copy.length, random);
  return copy;
}

/** Fisher-Yates over the first `count` items of `items`, in place, drawing `random` once per item after the first. */
function shuffleInPlace<T>(items: { [index: number]: T }, count: number, random: () => number): void {
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = items[i]!;
    items[i] = items[j]!;
    items[j] = swap;
  }
}

/**
 * Dual coordinate descent for one label against the rest, with a constant bias feature (`qii`:
 * each example's squared norm, bias included, plus the diagonal term). The
 * squared-hinge dual keeps each multiplier at zero or above; the squared (ridge) dual does not.
 * Like liblinear, it shrinks away examples that sit at zero and are predicted to stay there, then
 * checks every example again before it stops.
 */
function trainBinary(set: TrainingSet, qii: Float64Array, label: number, dimension: number, random: () => number, options: LinearClassifierOptions): Float64Array {
  const { offsets, indices, values, targets } = set;
  const count = targets.length;
  const w = new Float64Array(dimension + 1);
  const alpha = new Float64Array(count);
  const diagonal = 1 / (2 * options.c);
  const hinge = options.loss === 'squared-hinge';
  // The examples still active, and the order of this pass: the active ones shuffled in place
  // (the same draws of `random` as shuffling a copy, so the same model).
  const active = Int32Array.from(alpha.keys());
  let activeCount = count;
  const order = new Int32Array(count);
  let shrinkAbove = Infinity;
  for (let epoch = 0; epoch < options.maxEpochs; epoch++) {
    let maxGradient = -Infinity;
    let minGradient = Infinity;
    order.set(active.subarray(0, activeCount));
    shuffleInPlace(order, activeCount, random);
    // Kept examples are written over `active` (j <= position read, so nothing unread is lost).
    let kept = 0;
    for (let position = 0; position < activeCount; position++) {
      const i = order[position]!;
      const start = offsets[i]!;
      const end = offsets[i + 1]!;
      const y = targets[i] === label ? 1 : -1;
      let margin = w[dimension]!;
      for (let k = start; k < end; k++) margin += w[indices[k]!]! * values[k]!;
      const a = alpha[i]!;
      const gradient = y * margin - 1 + diagonal * a;
      if (hinge && a === 0 && gradient > shrinkAbove) continue;
      active[kept++] = i;
      const projected = hinge && a === 0 ? Math.min(gradient, 0) : gradient;
      if (projected > maxGradient) maxGradient = projected;
      if (projected < minGradient) minGradient = projected;
      if (projected === 0) continue;
      const next = hinge ? Math.max(a - gradient / qii[i]!, 0) : a - gradient / qii[i]!;
      const step = (next - a) * y;
      alpha[i] = next;
      for (let k = start; k < end; k++) w[indices[k]!]! += step * values[k]!;
      w[dimension]! += step;
    }
    const converged = maxGradient - minGradient < options.tolerance;
    if (converged && kept === count) break;
    if (converged) for (let i = 0; i < count; i++) active[i] = i;
    activeCount = converged ? count : kept;
    shrinkAbove = converged || maxGradient <= 0 ? Infinity : maxGradient;
  }
  return w;
}
