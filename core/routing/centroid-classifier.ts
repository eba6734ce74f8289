import { z } from 'zod';
import type { Embedder } from '../memory/types.js';
import {
  checkExamples,
  fitTemperature,
  float32FromBase64,
  float32ToBase64,
  ModelFileError,
  readModelFile,
  softmaxRanking,
  writeModelFile,
  type Classification,
  type IntentClassifier,
  type LabelledExample,
} from './classifier.js';

const FORMAT = 'ctxbench-centroid-intent-classifier';

const modelSchema = z.object({
  format: z.literal(FORMAT),
  version: z.literal(1),
  embedder: z.object({ id: z.string(), dimension: z.number().int().positive() }),
  labels: z.array(z.string()).min(2),
  temperature: z.number().positive(),
  /** Label-major float32 unit centroids, base64. */
  centroids: z.string(),
});

/**
 * An embedding classifier: each intent is the normalised mean of its examples' unit embeddings,
 * a query scores the cosine similarity to each centroid, and a softmax turns the similarities
 * into confidences with a temperature fitted on leave-one-out similarities of the examples.
 */
export class CentroidIntentClassifier implements IntentClassifier {
  readonly name = 'centroid';

  private constructor(
    readonly labels: readonly string[],
    private readonly embedder: Embedder,
    /** Label-major unit vectors: centroids[label * dimension + i]. */
    private readonly centroids: Float32Array,
    readonly temperature: number,
  ) {}

  /** Embeds the examples once and builds one centroid per label. */
  static async train(examples: readonly LabelledExample[], embedder: Embedder): Promise<CentroidIntentClassifier> {
    const labels = checkExamples(examples);
    const index = new Map(labels.map((label, i) => [label, i]));
    const targets = examples.map((example) => index.get(example.label)!);
    const vectors = (await embedder.embed(examples.map((example) => example.text))).map(unit);
    const dimension = embedder.dimension;
    const sums = labels.map(() => new Float64Array(dimension));
    vectors.forEach((vector, i) => vector.forEach((value, d) => (sums[targets[i]!]![d]! += value)));
    const squaredNorms = sums.map((sum) => dot(sum, sum));
    const rows = vectors.map((vector, i) => leaveOneOutSimilarities(vector, targets[i]!, sums, squaredNorms));
    const centroids = new Float32Array(labels.length * dimension);
    sums.forEach((sum, label) => centroids.set(unit(sum), label * dimension));
    return new CentroidIntentClassifier(labels, embedder, centroids, fitTemperature(rows, targets));
  }

  /** Loads a model saved with {@link save}; it must have been built with the same embedder. */
  static load(file: string, embedder: Embedder): CentroidIntentClassifier {
    const model = readModelFile(file, modelSchema, FORMAT);
    if (model.embedder.id !== embedder.id || model.embedder.dimension !== embedder.dimension) {
      const built = `${model.embedder.id} (dimension ${model.embedder.dimension})`;
      throw new ModelFileError(file, `was built with embedder ${built}, not ${embedder.id} (dimension ${embedder.dimension})`);
    }
    const centroids = float32FromBase64(file, 'centroids', model.centroids, model.labels.length * embedder.dimension, 'labels x dimension');
    return new CentroidIntentClassifier(model.labels, embedder, centroids, model.temperature);
  }

  /** Saves the centroids and the embedder's identity as JSON, atomically. */
  save(file: string): void {
    const embedder = { id: this.embedder.id, dimension: this.embedder.dimension };
    writeModelFile(file, { format: FORMAT, version: 1, embedder, labels: this.labels, temperature: this.temperature, centroids: float32ToBase64(this.centroids) });
  }

  async classify(text: string): Promise<Classification> {
    const [embedding] = await this.embedder.embed([text]);
    const query = unit(embedding!);
    const dimension = this.embedder.dimension;
    const similarities = this.labels.map((_, label) => dot(query, this.centroids.subarray(label * dimension, (label + 1) * dimension)));
    return { ranked: softmaxRanking(this.labels, similarities, this.temperature), classifier: this.name };
  }
}

/**
 * Cosine similarities of a unit example vector to every centroid, its own centroid rebuilt
 * without it: |sum - v|^2 = |sum|^2 - 2 sum.v + |v|^2, so no centroid is copied.
 */
function leaveOneOutSimilarities(vector: Float32Array, own: number, sums: readonly Float64Array[], squaredNorms: readonly number[]): number[] {
  const self = dot(vector, vector);
  return sums.map((sum, label) => {
    const product = dot(vector, sum);
    const [numerator, squaredNorm] = label === own ? [product - self, squaredNorms[label]! - 2 * product + self] : [product, squaredNorms[label]!];
    return squaredNorm <= 1e-12 ? 0 : numerator / Math.sqrt(squaredNorm);
  });
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < a.length; i++) total += a[i]! * b[i]!;
  return total;
}

/** The vector scaled to unit length; a zero vector stays zero. */
function unit(vector: ArrayLike<number>): Float32Array {
  const norm = Math.sqrt(dot(vector, vector));
  return Float32Array.from(vector as ArrayLike<number>, (value) => (norm === 0 ? 0 : value / norm));
}
