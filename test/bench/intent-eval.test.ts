import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectedCalibrationError, macroF1, main, stratifiedFolds } from '../../bench/intent-eval.js';
import { LinearIntentClassifier } from '../../core/routing/linear-classifier.js';
import { TECHCORP_INTENTS } from '../../core/routing/profiles/techcorp.js';
import { fixtureDir } from '../datasets/fixtures.js';

const fixtures = fixtureDir('intent-eval');
const csvOf = (rows: Array<[string, string]>) => `text,category\n${rows.map(([text, label]) => `"${text.replace(/"/g, '""')}",${label}`).join('\n')}\n`;
const techcorpRows = TECHCORP_INTENTS.intents.flatMap((intent) => intent.examples.map((text): [string, string] => [text, intent.name]));

describe('stratified folds', () => {
  it('spreads every label evenly over the folds, the same way for the same seed', () => {
    const labels = [...Array(10).fill('a'), ...Array(5).fill('b')] as string[];
    const folds = stratifiedFolds(labels, 5, 3);
    for (let fold = 0; fold < 5; fold++) expect(labels.filter((label, i) => label === 'a' && folds[i] === fold)).toHaveLength(2);
    expect(stratifiedFolds(labels, 5, 3)).toEqual(folds);
    expect(stratifiedFolds(labels, 5, 4)).not.toEqual(folds);
  });
});

describe('metrics', () => {
  it('computes macro-F1 over the labels of truth and predictions', () => {
    expect(macroF1(['a', 'a', 'b', 'b'], ['a', 'a', 'b', 'b'])).toBe(1);
    expect(macroF1(['a', 'a', 'b', 'b'], ['a', 'b', 'b', 'b'])).toBeCloseTo((2 / 3 + 0.8) / 2, 12);
    expect(macroF1(['a'], ['c'])).toBe(0);
  });

  it('gives zero calibration error when confidence matches accuracy', () => {
    expect(expectedCalibrationError([1, 1], [true, true])).toBe(0);
    expect(expectedCalibrationError([0.9, 0.9], [false, false])).toBeCloseTo(0.9, 12);
  });
});

describe('intent-eval command', () => {
  const train = fixtures.write('train.csv', csvOf(techcorpRows.filter((_, i) => i % 4 !== 0)));
  const test = fixtures.write('test.csv', csvOf(techcorpRows.filter((_, i) => i % 4 === 0)));

  it('cross-validates both models and prints a Markdown table', async () => {
    const table = await main(['--train', train, '--folds', '3']);
    const lines = table.split('\n');
    expect(lines[0]).toBe('| model | evaluation | examples | accuracy | macro-F1 | ECE | train s | p50 ms/query | p95 ms/query |');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(/^\| linear: .* \| 3-fold CV \(seed 1\) \| \d+ \| 0\.\d{4} \|/);
    expect(lines[3]).toMatch(/^\| baseline: /);
  });

  it('scores a held-out file and saves the trained default model', async () => {
    const save = `${fixtures.dir}/model.json`;
    const table = await main(['--train', train, '--test', test, '--save', save]);
    expect(table.split('\n').slice(2).map((line) => line.split(' | ')[1])).toEqual(['held-out test file', 'held-out test file']);
    const accuracy = Number(table.split('\n')[2]!.split(' | ')[3]);
    expect(accuracy).toBeGreaterThan(0.5);
    expect(existsSync(save)).toBe(true);
    expect(LinearIntentClassifier.load(save).labels).toHaveLength(6);
  });

  it('refuses a fold count below 2', async () => {
    await expect(main(['--train', train, '--folds', '1'])).rejects.toThrow('--folds must be a whole number of at least 2, got "1"');
  });
});
