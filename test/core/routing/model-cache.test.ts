import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_CACHE, LinearIntentClassifier, modelCacheDirectory, profileExamples, TECHCORP_INTENTS, trainLinearClassifierCached } from '../../../core/index.js';

const examples = profileExamples(TECHCORP_INTENTS);
const queries = ['Where is my order?', 'I was charged twice', 'my router keeps dropping', 'cancel my plan', 'hello'];
const directories: string[] = [];
const fresh = () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctxbench-model-cache-'));
  directories.push(dir);
  return dir;
};
const rankings = async (classifier: LinearIntentClassifier) => Promise.all(queries.map(async (query) => (await classifier.classify(query)).ranked));

afterEach(() => {
  for (const dir of directories.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('trained-model cache', () => {
  it('trains on a miss, writes the model, and loads the very same model on the next call', async () => {
    const dir = fresh();
    const first = await trainLinearClassifierCached(examples, {}, dir);
    expect(first.source).toBe('training');
    expect(readdirSync(dir)).toHaveLength(1);
    const second = await trainLinearClassifierCached(examples, {}, dir);
    expect(second.source).toBe('cache');
    const trained = LinearIntentClassifier.train(examples);
    expect(await rankings(second.classifier)).toEqual(await rankings(trained));
    expect(second.classifier.temperature).toBe(trained.temperature);
  });

  it('keys on the examples and the options: other examples or options are a miss', async () => {
    const dir = fresh();
    await trainLinearClassifierCached(examples, {}, dir);
    expect((await trainLinearClassifierCached(examples.slice(1), {}, dir)).source).toBe('training');
    expect((await trainLinearClassifierCached(examples, { c: 2 }, dir)).source).toBe('training');
    expect(readdirSync(dir)).toHaveLength(3);
    const relabelled = examples.map((example, i) => (i === 0 ? { ...example, label: examples.at(-1)!.label } : example));
    expect((await trainLinearClassifierCached(relabelled, {}, dir)).source).toBe('training');
  });

  it('trains again over a damaged file, and then loads the rewritten one', async () => {
    const dir = fresh();
    await trainLinearClassifierCached(examples, {}, dir);
    const [file] = readdirSync(dir);
    writeFileSync(join(dir, file!), '{"format": "ctxbench-linear');
    const retrained = await trainLinearClassifierCached(examples, {}, dir);
    expect(retrained.source).toBe('training');
    expect(JSON.parse(readFileSync(join(dir, file!), 'utf8')).format).toBeDefined();
    expect((await trainLinearClassifierCached(examples, {}, dir)).source).toBe('cache');
  });

  it('only trains without a directory, or when the directory cannot be written', async () => {
    expect((await trainLinearClassifierCached(examples, {}, undefined)).source).toBe('training');
    const dir = fresh();
    const blocked = join(dir, 'a-file');
    writeFileSync(blocked, 'not a directory');
    const result = await trainLinearClassifierCached(examples, {}, join(blocked, 'models'));
    expect(result.source).toBe('training');
    expect((await result.classifier.classify('Where is my order?')).ranked[0]!.label).toBe('order_inquiry');
    expect(readdirSync(dir)).toEqual(['a-file']);
  });

  it('takes its directory from CTXBENCH_MODEL_CACHE: a path, off, or the default when unset', () => {
    expect(modelCacheDirectory({})).toBe(DEFAULT_MODEL_CACHE);
    expect(modelCacheDirectory({ CTXBENCH_MODEL_CACHE: '' })).toBe(DEFAULT_MODEL_CACHE);
    expect(modelCacheDirectory({ CTXBENCH_MODEL_CACHE: 'off' })).toBeUndefined();
    expect(modelCacheDirectory({ CTXBENCH_MODEL_CACHE: '/tmp/models' })).toBe('/tmp/models');
    expect(DEFAULT_MODEL_CACHE).toMatch(/node_modules[/\\]\.cache[/\\]ctxbench[/\\]models$/);
  });
});
