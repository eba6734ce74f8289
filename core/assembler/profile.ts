import { defineProfile, type BudgetProfile } from '../budget/profile.js';
import { ConfigError } from '../errors.js';

/**
 * The production assembler's budget, in cache-stable order: what never changes first (the system
 * prompt, kept whole up to 3,000 tokens; the tools are sent before every message), then what
 * changes rarely (the user's profile, the routed intents' context, the running summary, which
 * changes only at compaction), then the append-only history, and only then what changes every
 * turn (retrieved memories and query-dependent knowledge, tool output, the query). Consecutive
 * turns of a conversation therefore share everything up to the end of the previous history.
 */
export const ASSEMBLER_PROFILE = defineProfile({
  name: 'techcorp-assembler',
  total: 8000,
  sections: [
    { name: 'system_prompt', budget: 3000, priority: 1, compressible: true },
    { name: 'user_profile', budget: 200, priority: 2, compressible: false },
    { name: 'intent_context', budget: 1200, priority: 2, compressible: true },
    { name: 'conversation_summary', budget: 500, priority: 2, compressible: true, kind: 'conversation' },
    { name: 'recent_messages', budget: 2000, priority: 1, compressible: false, kind: 'conversation' },
    { name: 'retrieved_context', budget: 1800, priority: 3, compressible: true },
    { name: 'tool_results', budget: 1000, priority: 2, compressible: true, kind: 'conversation' },
    { name: 'current_query', budget: 500, priority: 1, compressible: false, role: 'user' },
  ],
});

/**
 * {@link ASSEMBLER_PROFILE} with other budgets for some sections (a budget of 0 leaves the section
 * out) and, optionally, another total; e.g. `assemblerProfile({ conversation_summary: 0, retrieved_context: 1200 })`.
 * @throws ConfigError naming a section the profile has no allocation for.
 */
export function assemblerProfile(budgets: Readonly<Record<string, number>>, total: number = ASSEMBLER_PROFILE.total): BudgetProfile {
  const known = new Set(ASSEMBLER_PROFILE.sections.map((section) => section.name));
  const unknown = Object.keys(budgets).find((name) => !known.has(name));
  if (unknown !== undefined) throw new ConfigError(`assemblerProfile: no section "${unknown}" in ${ASSEMBLER_PROFILE.name}`, `use one of ${[...known].join(', ')}`);
  // Only 0 leaves a section out: NaN or a negative budget would drop it without a word.
  const bad = Object.entries(budgets).find(([, budget]) => !(Number.isInteger(budget) && budget >= 0));
  if (bad) throw new ConfigError(`assemblerProfile: ${bad[0]} = ${bad[1]} must be a whole number of tokens, 0 or more`, '0 leaves the section out; leave the key out for its default budget');
  return defineProfile({
    name: ASSEMBLER_PROFILE.name,
    total,
    sections: ASSEMBLER_PROFILE.sections.map((section) => ({ ...section, budget: budgets[section.name] ?? section.budget })).filter((section) => section.budget > 0),
  });
}
