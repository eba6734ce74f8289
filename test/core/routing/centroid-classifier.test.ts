import { describe, expect, it } from 'vitest';
import { CentroidIntentClassifier } from '../../../core/routing/centroid-classifier.js';
import { ModelFileError } from '../../../core/routing/classifier.js';
import { profileExamples } from '../../../core/routing/intent-profile.js';
import { TECHCORP_INTENTS } from '../../../core/routing/profiles/techcorp.js';
import { fixtureDir } from '../../datasets/fixtures.js';
import { banking77Split, testEmbedder } from './support.js';

const files = fixtureDir('centroid-classifier');
const techcorp = await CentroidIntentClassifier.train(profileExamples(TECHCORP_INTENTS), testEmbedder);
const top = async (model: CentroidIntentClassifier, text: string) => (await model.classify(text)).ranked[0]!.label;

describe('centroid classifier over an embedder', () => {
  it.each([
    ['I want to cancel my subscription', 'cancellation'],
    ['Can you tell me when my order will arrive?', 'order_inquiry'],
    ['Why is my bill so high this month?', 'billing_question'],
  ])('routes "%s" to %s', async (query, intent) => {
    expect(await top(techcorp, query)).toBe(intent);
  });

  it('fits a softmax temperature on leave-one-out similarities', () => {
    expect(techcorp.temperature).toBeGreaterThan(0);
    expect(techcorp.temperature).toBeLessThan(1);
  });

  it('beats chance by far on held-out banking77 examples', async () => {
    const { train, test } = await banking77Split(40, 5);
    const model = await CentroidIntentClassifier.train(train, testEmbedder);
    let correct = 0;
    for (const example of test) if ((await top(model, example.text)) === example.label) correct++;
    expect(correct / test.length).toBeGreaterThan(0.3);
  });

  it('gives every label equal confidence for a query with no known words', async () => {
    const { ranked } = await techcorp.classify('');
    expect(new Set(ranked.map((r) => r.confidence.toFixed(12))).size).toBe(1);
  });
});

describe('centroid model files', () => {
  it('gives identical rankings after a save and load round trip', async () => {
    const file = `${files.dir}/centroids.json`;
    techcorp.save(file);
    const loaded = CentroidIntentClassifier.load(file, testEmbedder);
    expect(await loaded.classify('refund my money')).toEqual(await techcorp.classify('refund my money'));
  });

  it('refuses a model built with another embedder, naming the file and both embedders', () => {
    const file = `${files.dir}/other-embedder.json`;
    techcorp.save(file);
    const other = { ...testEmbedder, id: 'another:256' };
    expect(() => CentroidIntentClassifier.load(file, other)).toThrow(ModelFileError);
    expect(() => CentroidIntentClassifier.load(file, other)).toThrow(`${file}: was built with embedder test-hashing:256 (dimension 256), not another:256 (dimension 256)`);
  });

  it('refuses centroids of the wrong size', () => {
    const file = files.write('short.json', {
      format: 'ctxbench-centroid-intent-classifier',
      version: 1,
      embedder: { id: testEmbedder.id, dimension: 256 },
      labels: ['a', 'b'],
      temperature: 0.1,
      centroids: Buffer.from(new Float32Array(3).buffer).toString('base64'),
    });
    expect(() => CentroidIntentClassifier.load(file, testEmbedder)).toThrow(/is corrupt: centroids hold 3 values, expected 512/);
  });
});
