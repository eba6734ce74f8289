import type { Embedder } from '../../../core/memory/types.js';
import type { LabelledExample } from '../../../core/routing/classifier.js';
import { readLabelledExamples } from '../../../datasets/intent-profiles.js';

/** A tiny deterministic embedder for tests: words and word bigrams hashed (FNV-1a) into 256 buckets. */
export const testEmbedder: Embedder = {
  id: 'test-hashing:256',
  dimension: 256,
  async embed(texts) {
    return texts.map((text) => {
      const vector = new Float32Array(256);
      const words = text.toLowerCase().match(/[a-z0-9']+/g) ?? [];
      const terms = [...words, ...words.slice(1).map((word, i) => `${words[i]} ${word}`)];
      for (const term of terms) {
        let hash = 0x811c9dc5;
        for (let i = 0; i < term.length; i++) hash = Math.imul(hash ^ term.charCodeAt(i), 0x01000193);
        vector[(hash >>> 0) % 256]! += 1;
      }
      return vector;
    });
  },
};

/** A banking77 split by position within each label: the first `train` examples to train on, the next `test` to score. */
export async function banking77Split(train: number, test: number): Promise<{ train: LabelledExample[]; test: LabelledExample[] }> {
  const seen = new Map<string, number>();
  const split = { train: [] as LabelledExample[], test: [] as LabelledExample[] };
  for (const example of await readLabelledExamples()) {
    const position = seen.get(example.label) ?? 0;
    seen.set(example.label, position + 1);
    if (position < train) split.train.push(example);
    else if (position < train + test) split.test.push(example);
  }
  return split;
}
