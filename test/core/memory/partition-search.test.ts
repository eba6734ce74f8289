import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HashingEmbedder } from '../../../core/memory/embedding.js';
import { LongTermMemory } from '../../../core/memory/long-term.js';
import { FACT_WORDS, memoryFact } from '../../support/memory-facts.js';

const NOW = new Date('2024-02-01T00:00:00.000Z');
const embedder = new HashingEmbedder({ dimension: 64 });

const settings = fc.record({
  weights: fc.record({ similarity: fc.constantFrom(0, 0.6, 1), recency: fc.constantFrom(0, 0.2, 1), importance: fc.constantFrom(0, 0.2, 1) }).filter((w) => w.similarity + w.recency + w.importance > 0),
  halfLifeDays: fc.constantFrom(1, 30, 1e9),
});
const filters = fc.record({ minImportance: fc.constantFrom(0, 0.5), from: fc.constantFrom(undefined, '2024-01-10T00:00:00Z') });

describe('a search of a small partition', () => {
  it('returns the best k of every memory passing the filters, matched or not, as scoring the whole partition would', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(memoryFact, { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.array(fc.constantFrom(...FACT_WORDS, 'weather', 'tomorrow'), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 12 }),
        settings,
        filters,
        async (facts, deletions, words, k, { weights, halfLifeDays }, { minImportance, from }) => {
          const memory = new LongTermMemory({ embedder, now: () => NOW, weights, halfLifeDays });
          const stored = await memory.storeMany(facts);
          for (const i of deletions) await memory.delete(stored[i % stored.length]!.memory.id);
          const timeRange = from === undefined ? undefined : { from };
          const hits = await memory.search(words.join(' '), { userId: 'alice', k, minImportance, ...(timeRange ? { timeRange } : {}) });

          for (let i = 1; i < hits.length; i++) {
            const [a, b] = [hits[i - 1]!, hits[i]!];
            expect(a.score > b.score || (a.score === b.score && a.memory.id < b.memory.id)).toBe(true);
          }
          const passing = (await memory.list('alice')).filter((m) => m.importance >= minImportance && (from === undefined || Date.parse(m.createdAt) >= Date.parse(from)));
          const returned = new Set(hits.map((hit) => hit.memory.id));
          for (const id of returned) expect(passing.some((m) => m.id === id)).toBe(true);
          if (hits.length < k) {
            expect(returned.size).toBe(passing.length);
            return;
          }
          // A memory left out scores at most the k-th even with no match at all (a match only adds).
          const last = hits[k - 1]!;
          for (const left of passing.filter((m) => !returned.has(m.id))) {
            const score = memory.scorer.score(left, 0, NOW).score;
            expect(score < last.score || (score === last.score && left.id > last.memory.id)).toBe(true);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('brings a recent memory that shares nothing with the query when nothing else scores higher', async () => {
    const memory = new LongTermMemory({ embedder, now: () => NOW, weights: { similarity: 0.6, recency: 0.4, importance: 0 } });
    await memory.storeMany([
      { userId: 'alice', content: 'refund for the late order', type: 'episodic', createdAt: '2023-01-01T00:00:00Z' },
      { userId: 'alice', content: 'moved to Lisbon', type: 'episodic', createdAt: '2024-01-31T00:00:00Z' },
      { userId: 'alice', content: 'premium card holder', type: 'episodic', createdAt: '2022-01-01T00:00:00Z' },
    ]);
    const hits = await memory.search('refund order', { userId: 'alice', k: 2 });
    expect(hits.map((hit) => hit.memory.content)).toEqual(['refund for the late order', 'moved to Lisbon']);
  });
});
