import { mkdirSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CentroidIntentClassifier } from '../../../core/routing/centroid-classifier.js';
import { fitTemperature, softmaxRanking, writeModelFile, ModelFileError, type IntentClassifier } from '../../../core/routing/classifier.js';
import { profileExamples } from '../../../core/routing/intent-profile.js';
import { LinearIntentClassifier } from '../../../core/routing/linear-classifier.js';
import { LlmIntentClassifier } from '../../../core/routing/llm-classifier.js';
import { TECHCORP_INTENTS } from '../../../core/routing/profiles/techcorp.js';
import { fixtureDir } from '../../datasets/fixtures.js';
import { chatCompletion, startFakeOpenAi } from '../../support/openai-server.js';
import { testEmbedder } from './support.js';

const examples = profileExamples(TECHCORP_INTENTS);
const labels = TECHCORP_INTENTS.intents.map((intent) => intent.name);
const linear = LinearIntentClassifier.train(examples);
let server: Awaited<ReturnType<typeof startFakeOpenAi>>;
const implementations: Array<[string, () => Promise<IntentClassifier>]> = [
  ['linear', async () => linear],
  ['centroid', () => CentroidIntentClassifier.train(examples, testEmbedder)],
  ['llm', async () => new LlmIntentClassifier({ llm: { baseURL: server.baseURL, apiKey: 'k', model: 'm', maxRetries: 0 }, profile: TECHCORP_INTENTS, fallback: linear })],
];

beforeAll(async () => {
  server = await startFakeOpenAi({ '/v1/chat/completions': () => chatCompletion(JSON.stringify({ intents: [{ label: 'order_inquiry', confidence: 0.6 }] })) });
});
afterAll(() => server.close());

describe.each(implementations)('IntentClassifier contract: %s', (_, create) => {
  it('ranks every label exactly once, best first, with confidences in 0..1 that sum to 1', async () => {
    const classifier = await create();
    expect([...classifier.labels].sort()).toEqual([...labels].sort());
    for (const query of ['Where is my order?', 'hello', '']) {
      const { ranked } = await classifier.classify(query);
      expect(ranked.map((r) => r.label).sort()).toEqual([...labels].sort());
      expect(ranked.every((r) => r.confidence >= 0 && r.confidence <= 1)).toBe(true);
      expect(ranked.reduce((sum, r) => sum + r.confidence, 0)).toBeCloseTo(1, 9);
      for (let i = 1; i < ranked.length; i++) expect(ranked[i - 1]!.confidence).toBeGreaterThanOrEqual(ranked[i]!.confidence);
    }
  });

  it('names itself as the classifier of its answers', async () => {
    const classifier = await create();
    expect((await classifier.classify('Where is my order?')).classifier).toBe(classifier.name);
  });
});

describe('softmax ranking and temperature', () => {
  it('always sums to 1 and is sorted, whatever the scores and temperature', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 2, maxLength: 20 }), fc.double({ min: 0.01, max: 10, noNaN: true }), (scores, temperature) => {
        const ranked = softmaxRanking(scores.map((_, i) => `l${i}`), scores, temperature);
        expect(ranked.reduce((sum, r) => sum + r.confidence, 0)).toBeCloseTo(1, 9);
        for (let i = 1; i < ranked.length; i++) expect(ranked[i - 1]!.confidence).toBeGreaterThanOrEqual(ranked[i]!.confidence);
      }),
    );
  });

  it('breaks ties by label so rankings are reproducible', () => {
    expect(softmaxRanking(['b', 'a', 'c'], [1, 1, 0], 1).map((r) => r.label)).toEqual(['a', 'b', 'c']);
  });

  it('fits a low temperature to scores that are always right and a high one to scores that are often wrong', () => {
    const rows = Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? [1, 0] : [0, 1]));
    const alwaysRight = fitTemperature(rows, rows.map((_, i) => i % 2));
    const oftenWrong = fitTemperature(rows, rows.map((_, i) => (i % 5 === 0 ? 1 - (i % 2) : i % 2)));
    expect(alwaysRight).toBeLessThan(0.01);
    expect(oftenWrong).toBeGreaterThan(0.5);
  });
});

describe('model files', () => {
  const files = fixtureDir('model-files');

  it('names the file when it cannot be written', () => {
    const blocker = files.write('not-a-directory', 'x');
    expect(() => writeModelFile(`${blocker}/model.json`, {})).toThrow(ModelFileError);
    expect(() => writeModelFile(`${blocker}/model.json`, {})).toThrow(/model.json: cannot be written \(EEXIST\)/);
  });

  it('leaves no temporary file behind when the final rename fails', () => {
    const directory = `${files.dir}/a-directory`;
    mkdirSync(directory);
    expect(() => writeModelFile(directory, { format: 'x' })).toThrow(/a-directory: cannot be written/);
    expect(readdirSync(files.dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
