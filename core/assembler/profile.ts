import { defineProfile } from '../budget/profile.js';

/**
 * The production assembler's budget: the lab design's TechCorp allocations with an allocation of
 * its own for the intent-specific context (taken from retrieved_context: 3,000 -> 1,800), in
 * cache-friendly order. Static content first (system prompt, then the user's profile and the
 * intent's policy, both stable within a conversation), then the summary (changes only at
 * compaction) and the append-only history, and the per-turn content (tool results, retrieved
 * memories, the query) last, so consecutive turns share the longest token prefix.
 */
export const ASSEMBLER_PROFILE = defineProfile({
  name: 'techcorp-assembler',
  total: 8000,
  sections: [
    { name: 'system_prompt', budget: 500, priority: 1, compressible: false },
    { name: 'user_profile', budget: 200, priority: 2, compressible: false },
    { name: 'intent_context', budget: 1200, priority: 2, compressible: true },
    { name: 'conversation_summary', budget: 500, priority: 2, compressible: true, kind: 'conversation' },
    { name: 'recent_messages', budget: 2000, priority: 1, compressible: false, kind: 'conversation' },
    { name: 'tool_results', budget: 1000, priority: 2, compressible: true, kind: 'conversation' },
    { name: 'retrieved_context', budget: 1800, priority: 3, compressible: true },
    { name: 'current_query', budget: 500, priority: 1, compressible: false, role: 'user' },
  ],
});
