import { ConfigError } from '../errors.js';

/** The exact BPE encodings ctxbench supports. */
export const ENCODINGS = ['cl100k_base', 'o200k_base'] as const;
export type EncodingName = (typeof ENCODINGS)[number];

/**
 * Model families and their encodings: a name is its family's or starts with it and "-" (as tiktoken
 * matches) or "." (a point release: gpt-5.1), longest family first, so gpt-40 is refused rather
 * than counted as gpt-4.
 * Claude models have no public tokenizer; o200k_base is used as the closest stand-in
 * (documented in the README: counts for Claude are estimates, not exact).
 */
const MODEL_PREFIXES: ReadonlyArray<readonly [string, EncodingName]> = [
  ['gpt-4o', 'o200k_base'],
  ['chatgpt-4o', 'o200k_base'],
  ['gpt-4.1', 'o200k_base'],
  ['gpt-4.5', 'o200k_base'],
  ['gpt-5', 'o200k_base'],
  ['o1', 'o200k_base'],
  ['o3', 'o200k_base'],
  ['o4', 'o200k_base'],
  ['claude', 'o200k_base'],
  ['gpt-4', 'cl100k_base'],
  ['gpt-3.5-turbo', 'cl100k_base'],
  ['gpt-35-turbo', 'cl100k_base'],
  ['text-embedding-3', 'cl100k_base'],
  ['text-embedding-ada-002', 'cl100k_base'],
];

/** True when `name` is one of the supported encodings. */
export function isEncodingName(name: string): name is EncodingName {
  return (ENCODINGS as readonly string[]).includes(name);
}

/** The encoding a model bills with, e.g. gpt-4o -> o200k_base, gpt-4 -> cl100k_base. */
export function encodingForModel(model: string): EncodingName {
  const normalized = model.trim().toLowerCase().replace(/^openai\//, '');
  const match = [...MODEL_PREFIXES]
    .sort((a, b) => b[0].length - a[0].length)
    .find(([prefix]) => normalized === prefix || normalized.startsWith(`${prefix}-`) || normalized.startsWith(`${prefix}.`));
  if (!match) {
    throw new ConfigError(
      `unknown model "${model}": no tokenizer encoding is known for it`,
      `use a model of the gpt-4o, gpt-4.1, gpt-4, gpt-3.5-turbo or claude families, or pass an encoding (${ENCODINGS.join(', ')}) directly`,
    );
  }
  return match[1];
}

/** Accepts either an encoding name or a model name and returns the encoding. */
export function resolveEncoding(modelOrEncoding: string): EncodingName {
  return isEncodingName(modelOrEncoding) ? modelOrEncoding : encodingForModel(modelOrEncoding);
}
