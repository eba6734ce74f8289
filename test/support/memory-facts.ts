import fc from 'fast-check';
import type { MemoryInput } from '../../core/memory/long-term.js';

/** The words of {@link memoryFact}: few, so that exact repeats and near-duplicates are frequent. */
export const FACT_WORDS = ['order', 'refund', 'late', 'router', 'email', 'Lisbon', 'premium', 'card'];

/** A short fact of alice or bob, dated in January 2024, with metadata to merge: for properties of bulk writes and searches. */
export const memoryFact: fc.Arbitrary<MemoryInput> = fc
  .record({
    userId: fc.constantFrom('alice', 'bob'),
    content: fc.array(fc.constantFrom(...FACT_WORDS), { minLength: 1, maxLength: 4 }).map((parts) => parts.join(' ')),
    importance: fc.constantFrom(0.2, 0.5, 0.9),
    day: fc.integer({ min: 1, max: 28 }),
  })
  .map(({ userId, content, importance, day }) => ({ userId, content, type: 'semantic', importance, createdAt: `2024-01-${String(day).padStart(2, '0')}T00:00:00Z`, metadata: { day, [`on${day}`]: true } }));
