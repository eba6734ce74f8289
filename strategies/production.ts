import {
  ContextBudget,
  defineProfile,
  defineStrategy,
  KnowledgeBaseCache,
  LexicalIndex,
  RunningSummary,
  TECHCORP_PROFILE,
  toolExchangeUnits,
  type ChatMessage,
  type Episode,
  type TokenCounter,
} from '../core/index.js';
import { fuseRanks, HistoryIndex } from './retrieval.js';
import { renderUnits, unitTokens } from './shared.js';

/**
 * The TechCorp allocations in cache-friendly order: what is static (system prompt, profile)
 * first, then what changes only at compaction (summary), the append-only recent history, and
 * the per-turn content (tool results, retrieval, the query) last.
 */
const ORDER = ['system_prompt', 'user_profile', 'conversation_summary', 'recent_messages', 'tool_results', 'retrieved_context', 'current_query'];
export const PRODUCTION_PROFILE = defineProfile({
  ...TECHCORP_PROFILE,
  name: 'techcorp-cache-friendly',
  sections: ORDER.map((name) => TECHCORP_PROFILE.sections.find((s) => s.name === name)!),
});

const budgetOf = (name: string) => PRODUCTION_PROFILE.sections.find((s) => s.name === name)!.budget;

interface Retrievable {
  id: string;
  text: string;
  documentId?: string;
}

/** Indexes the customer's records (reservations, orders) for retrieval. */
function customerIndex(episode: Readonly<Episode>): { index: LexicalIndex; records: Map<string, Retrievable> } {
  const records = new Map<string, Retrievable>();
  for (const [id, record] of Object.entries(episode.customer?.records ?? {})) records.set(`record:${id}`, { id: `record:${id}`, text: `${id}: ${JSON.stringify(record)}` });
  const index = new LexicalIndex();
  index.add([...records.values()]);
  return { index, records };
}

function renderProfile(episode: Readonly<Episode>): string {
  const profile = episode.customer?.profile;
  if (!profile) return `user id: ${episode.userId}`;
  return [`user id: ${episode.userId}`, ...Object.entries(profile).filter(([key]) => key !== 'reservations').map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)].join('\n');
}

/** Tool results of the units just before the recent window, newest last, within `budget` tokens. */
function olderToolResults(units: readonly ChatMessage[][], before: number, budget: number, counter: TokenCounter): string {
  const results: string[] = [];
  let used = 0;
  for (let i = before - 1; i >= 0 && used < budget; i--) {
    for (const message of [...units[i]!].reverse()) {
      if (message.role !== 'tool' || !message.content) continue;
      results.unshift(message.content);
      used += counter.count(message.content);
    }
  }
  return results.join('\n');
}

/**
 * Where the recent window starts. The window only grows until it overflows its budget, then
 * compacts down to half of it: between compactions the history section is append-only, so
 * consecutive turns share it as a prompt-cache prefix.
 */
function compactedWindowStart(units: readonly ChatMessage[][], start: number, budget: number, counter: TokenCounter): number {
  let used = 0;
  for (let i = start; i < units.length; i++) used += unitTokens(units[i]!, counter);
  if (used <= budget) return start;
  let compacted = start;
  while (compacted < units.length && used > budget / 2) used -= unitTokens(units[compacted++]!, counter);
  return compacted;
}

/** The production assembler as it stands: budget manager, running summary, retrieval over knowledge, history and customer records. */
export const production = defineStrategy({
  name: 'production',
  description: 'budgeted sections (TechCorp profile, cache-friendly order), running summary, retrieval over knowledge, older history and customer records',
  defaults: { retrievedItems: 8 },
  create: ({ retrievedItems }, { counter }) => {
    const knowledgeBases = new KnowledgeBaseCache(counter);
    return {
      budget: PRODUCTION_PROFILE.total,
      startEpisode: (episode) => {
        const knowledge = knowledgeBases.get(episode.knowledge);
        const customer = customerIndex(episode);
        const history = new HistoryIndex();
        const summary = new RunningSummary(counter, budgetOf('conversation_summary'));
        const profile = renderProfile(episode);
        let start = 0;
        return {
          assemble: (input) => {
            const units = toolExchangeUnits(input.history);
            history.sync(units);
            start = compactedWindowStart(units, start, budgetOf('recent_messages'), counter);
            const toolResults = olderToolResults(units, start, budgetOf('tool_results'), counter);

            const query = input.query;
            const fromKnowledge = knowledge.search(query, retrievedItems);
            const fromRecords = customer.index.search(query, retrievedItems).map((hit) => customer.records.get(hit.id)!);
            const fromHistory = history.search(query, retrievedItems, start).map((hit) => ({ id: `h${hit.id}`, text: renderUnits([units[Number(hit.id)]!]) }));
            const retrieved: Retrievable[] = fuseRanks<Retrievable>([fromKnowledge, fromRecords, fromHistory]).slice(0, retrievedItems);

            const budget = new ContextBudget({ profile: PRODUCTION_PROFILE, counter });
            budget.addSection('system_prompt', input.episode.systemPrompt);
            budget.addSection('user_profile', profile);
            budget.addSection('conversation_summary', summary.update(units, start));
            budget.addSection('recent_messages', renderUnits(units.slice(start)));
            budget.addSection('tool_results', toolResults);
            budget.addSection('retrieved_context', retrieved.map((item) => item.text).join('\n\n'));
            if (input.turn.query !== undefined) budget.addSection('current_query', query);
            const built = budget.build();
            return {
              messages: built.messages,
              sections: Object.fromEntries(built.sections.map((s) => [s.name, s.tokens])),
              retrieved: [...new Set(retrieved.flatMap((item) => (item.documentId ? [item.documentId] : [])))],
            };
          },
        };
      },
    };
  },
});
