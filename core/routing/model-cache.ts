import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import type { LabelledExample } from './classifier.js';
import { LinearIntentClassifier, type LinearClassifierOptions } from './linear-classifier.js';

/** The environment variable naming the trained-model cache directory; `off` turns the cache off. */
export const MODEL_CACHE_ENV = 'CTXBENCH_MODEL_CACHE';

/** Where trained models are kept unless told otherwise: the package's node_modules/.cache, as build tools keep theirs. */
export const DEFAULT_MODEL_CACHE = fileURLToPath(new URL('../../node_modules/.cache/ctxbench/models', import.meta.url));

/** The cache directory the environment asks for: undefined when `CTXBENCH_MODEL_CACHE=off`, the default when unset. */
export function modelCacheDirectory(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const value = env[MODEL_CACHE_ENV]?.trim();
  if (value === 'off') return undefined;
  return value ? value : DEFAULT_MODEL_CACHE;
}

/**
 * The source files whose code decides what a training produces. Their text is part of every
 * cache key, so a change to the training code can never load a model the old code trained.
 */
const TRAINING_SOURCES = ['./linear-classifier.ts', './tfidf.ts', './classifier.ts', '../stats.ts'];

let fingerprint: string | null | undefined;

/** A hash of the training code's source, or null when it cannot be read (then nothing is cached). */
function trainingFingerprint(): string | null {
  if (fingerprint !== undefined) return fingerprint;
  try {
    const hash = createHash('sha256');
    for (const source of TRAINING_SOURCES) hash.update(readFileSync(new URL(source, import.meta.url))).update('\0');
    fingerprint = hash.digest('hex');
  } catch {
    fingerprint = null;
  }
  return fingerprint;
}

/** A trained classifier and where it came from. */
export interface CachedClassifier {
  classifier: LinearIntentClassifier;
  /** `cache`: loaded from a model trained earlier on the same examples and options by the same code. */
  source: 'cache' | 'training';
}

/**
 * {@link LinearIntentClassifier.trainAsync} through a directory of trained models. The key is a
 * hash of the training code's source, the options and the examples in order, so a hit is the very
 * model a training would give (training is deterministic). A missing, unreadable or corrupt file
 * is trained again and written over, atomically (threads training the same model at once each
 * write a whole file); a cache that cannot be written is skipped. Without a directory, or when
 * the training code cannot be read, it only trains.
 */
export async function trainLinearClassifierCached(examples: readonly LabelledExample[], options: Partial<LinearClassifierOptions>, directory: string | undefined): Promise<CachedClassifier> {
  const code = directory === undefined ? null : trainingFingerprint();
  if (directory === undefined || code === null) return { classifier: await LinearIntentClassifier.trainAsync(examples, options), source: 'training' };
  const key = createHash('sha256')
    .update(code)
    .update(JSON.stringify(options))
    .update(JSON.stringify(examples.map((example) => [example.label, example.text])))
    .digest('hex');
  const file = join(directory, `linear-${key.slice(0, 40)}.json`);
  try {
    return { classifier: LinearIntentClassifier.load(file), source: 'cache' };
  } catch {
    // Not cached yet, or the file is damaged: train (below) and write it again.
  }
  const classifier = await LinearIntentClassifier.trainAsync(examples, options);
  const temp = `${file}.${threadId}-${randomUUID()}`;
  try {
    mkdirSync(directory, { recursive: true });
    classifier.save(temp);
    renameSync(temp, file);
  } catch {
    // The cache is an optimization: a directory that cannot be written costs the next run a training.
    try {
      rmSync(temp, { force: true });
    } catch {
      // Nothing was written there.
    }
  }
  return { classifier, source: 'training' };
}
