import { stem } from '../memory/hybrid.js';

/** Words LoCoMo's answer normalization drops before comparing tokens. */
const DROPPED = new Set(['a', 'an', 'the', 'and']);

/**
 * The tokens an answer is compared on, as in LoCoMo's evaluation: lower case, punctuation removed,
 * articles and "and" dropped, each word stemmed (ctxbench's light stemmer stands in for Porter's).
 */
export function answerTokens(text: string): string[] {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .split(/\s+/)
    .filter((word) => word.length > 0 && !DROPPED.has(word))
    .map(stem);
}

/**
 * Token F1 of a predicted answer against the gold answer (SQuAD / LoCoMo): the harmonic mean of the
 * precision and recall of their token multisets. 1 when both are empty, 0 when only one is.
 */
export function tokenF1(prediction: string, gold: string): number {
  const predicted = answerTokens(prediction);
  const expected = answerTokens(gold);
  if (predicted.length === 0 || expected.length === 0) return predicted.length === expected.length ? 1 : 0;
  const remaining = new Map<string, number>();
  for (const token of expected) remaining.set(token, (remaining.get(token) ?? 0) + 1);
  let common = 0;
  for (const token of predicted) {
    const left = remaining.get(token) ?? 0;
    if (left > 0) {
      common++;
      remaining.set(token, left - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / predicted.length;
  const recall = common / expected.length;
  return (2 * precision * recall) / (precision + recall);
}
