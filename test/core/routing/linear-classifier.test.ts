import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, InputError } from '../../../core/errors.js';
import { ModelFileError } from '../../../core/routing/classifier.js';
import { profileExamples } from '../../../core/routing/intent-profile.js';
import { LinearIntentClassifier } from '../../../core/routing/linear-classifier.js';
import { TECHCORP_INTENTS } from '../../../core/routing/profiles/techcorp.js';
import { fixtureDir } from '../../datasets/fixtures.js';
import { banking77Split } from './support.js';

const files = fixtureDir('linear-classifier');
const techcorp = LinearIntentClassifier.train(profileExamples(TECHCORP_INTENTS));
const top = (model: LinearIntentClassifier, text: string) => model.classifySync(text).ranked[0]!.label;

describe('TechCorp routing', () => {
  it.each([
    ['Why was I charged twice?', 'billing_question'],
    ['Where is my order?', 'order_inquiry'],
    ['I want to cancel my subscription', 'cancellation'],
    ['My phone will not connect to the Wi-Fi after the update', 'technical_support'],
    ['I am sick of waiting, your support team is terrible', 'complaint'],
    ['Do you have a shop in London?', 'general_question'],
  ])('routes "%s" to %s', (query, intent) => {
    expect(top(techcorp, query)).toBe(intent);
  });

  it('ranks every intent of the profile, best first, with confidences that sum to 1', async () => {
    const { ranked, classifier } = await techcorp.classify('Where is my order?');
    expect(classifier).toBe('linear');
    expect(ranked.map((r) => r.label).sort()).toEqual(TECHCORP_INTENTS.intents.map((i) => i.name).sort());
    expect(ranked.reduce((sum, r) => sum + r.confidence, 0)).toBeCloseTo(1, 9);
    expect(ranked.map((r) => r.confidence)).toEqual([...ranked.map((r) => r.confidence)].sort((a, b) => b - a));
  });
});

describe('banking77 accuracy and calibration', () => {
  let model: LinearIntentClassifier;
  let test: Awaited<ReturnType<typeof banking77Split>>['test'];
  beforeAll(async () => {
    const split = await banking77Split(40, 15);
    test = split.test;
    model = LinearIntentClassifier.train(split.train);
  });

  it('reaches a modest accuracy floor on held-out examples when trained on 40 examples per intent', () => {
    const correct = test.filter((example) => top(model, example.text) === example.label).length;
    expect(correct / test.length).toBeGreaterThan(0.75);
  });

  it('is more confident when it is right than when it is wrong', () => {
    const outcomes = test.map((example) => {
      const [best] = model.classifySync(example.text).ranked;
      return { right: best!.label === example.label, confidence: best!.confidence };
    });
    const meanConfidence = (right: boolean) => {
      const group = outcomes.filter((o) => o.right === right);
      return group.reduce((sum, o) => sum + o.confidence, 0) / group.length;
    };
    expect(meanConfidence(true)).toBeGreaterThan(meanConfidence(false) + 0.15);
  });

  it('fits a softmax temperature on held-out examples instead of keeping 1', () => {
    expect(model.temperature).toBeGreaterThan(0);
    expect(model.temperature).not.toBe(1);
    expect(LinearIntentClassifier.train(profileExamples(TECHCORP_INTENTS), { calibrationShare: 0 }).temperature).toBe(1);
  });
});

describe('saving and loading', () => {
  it('gives identical rankings after a save and load round trip', () => {
    const file = files.write('techcorp.json', '');
    techcorp.save(file);
    const loaded = LinearIntentClassifier.load(file);
    for (const query of ['Where is my order?', 'refund please', 'la la la', '']) expect(loaded.classifySync(query)).toEqual(techcorp.classifySync(query));
  });

  it('trains the same model twice from the same examples and seed', () => {
    const again = LinearIntentClassifier.train(profileExamples(TECHCORP_INTENTS));
    expect(again.classifySync('my invoice looks wrong')).toEqual(techcorp.classifySync('my invoice looks wrong'));
  });

  const expectModelFileError = (file: string, message: RegExp) => {
    const error = (() => {
      try {
        LinearIntentClassifier.load(file);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ModelFileError);
    expect((error as ModelFileError).file).toBe(file);
    expect((error as ModelFileError).message).toContain(file);
    expect((error as ModelFileError).message).toMatch(message);
  };

  it('names the file when it is not JSON', () => {
    expectModelFileError(files.write('broken.json', '{"format": "ctxbench-linear'), /not valid JSON/);
  });

  it('names the file when it is missing', () => {
    expectModelFileError(`${files.dir}/missing.json`, /cannot be read \(ENOENT\)/);
  });

  it('names the file when it holds another kind of model', () => {
    expectModelFileError(files.write('other.json', { format: 'ctxbench-centroid-intent-classifier' }), /is not a ctxbench-linear-intent-classifier model/);
  });

  it('names the file when its weights do not match its vocabulary', () => {
    const file = files.write('truncated.json', '');
    techcorp.save(file);
    const model = JSON.parse(readFileSync(file, 'utf8')) as { weights: string };
    writeFileSync(file, JSON.stringify({ ...model, weights: model.weights.slice(0, 400) }));
    expectModelFileError(file, /is corrupt: weights hold 75 values/);
  });

  it('names the file and the field when a field is missing', () => {
    const file = files.write('no-labels.json', '');
    techcorp.save(file);
    const { labels: _labels, ...model } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify(model));
    expectModelFileError(file, /is corrupt: labels/);
  });
});

describe('input checks', () => {
  it('refuses an invalid option, naming the key, the value and the fix', () => {
    expect(() => LinearIntentClassifier.train(profileExamples(TECHCORP_INTENTS), { c: -1 })).toThrow(ConfigError);
    expect(() => LinearIntentClassifier.train(profileExamples(TECHCORP_INTENTS), { c: -1 })).toThrow(/c = -1 must be a positive/);
    expect(() => LinearIntentClassifier.train(profileExamples(TECHCORP_INTENTS), { features: { wordNgrams: [2, 1] } })).toThrow(/features.wordNgrams/);
  });

  it('refuses examples of a single label and empty texts', () => {
    expect(() => LinearIntentClassifier.train([{ text: 'hi', label: 'a' }])).toThrow(InputError);
    expect(() => LinearIntentClassifier.train([{ text: ' ', label: 'a' }, { text: 'b', label: 'b' }])).toThrow(/examples\[0\].text/);
  });

  it('trains a ridge model as well as the default squared-hinge one', () => {
    const ridge = LinearIntentClassifier.train(profileExamples(TECHCORP_INTENTS), { loss: 'squared' });
    expect(top(ridge, 'Where is my order?')).toBe('order_inquiry');
  });
});

describe('training in slices', () => {
  it('gives the same model as the blocking training', async () => {
    const examples = profileExamples(TECHCORP_INTENTS);
    const dir = mkdtempSync(join(tmpdir(), 'ctxbench-linear-async-'));
    LinearIntentClassifier.train(examples).save(`${dir}/sync.json`);
    (await LinearIntentClassifier.trainAsync(examples)).save(`${dir}/async.json`);
    expect(readFileSync(`${dir}/async.json`, 'utf8')).toBe(readFileSync(`${dir}/sync.json`, 'utf8'));
  });

  it('lets the event loop run while it trains', async () => {
    let turns = 0;
    const timer = setInterval(() => turns++, 0);
    await LinearIntentClassifier.trainAsync(profileExamples(TECHCORP_INTENTS));
    clearInterval(timer);
    expect(turns).toBeGreaterThan(0);
  });
});
