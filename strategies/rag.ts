import { defineStrategy, fitFixedParts, KnowledgeBaseCache, toolExchangeUnits, type ChatMessage } from '../core/index.js';
import { fuseRanks, HistoryIndex, ToolIndexCache } from './retrieval.js';
import { z } from 'zod';
import { BASELINE_DEFAULTS, baselineSettings, checkedSettings, largest } from './baseline-settings.js';
import { renderUnits, tunedCountOption, withTools } from './shared.js';

/** Upper bound of the tokens of a "# Retrieved ..." header and its separators. */
const HEADER_TOKENS = 8;

interface Candidate {
  id: string;
  kind: 'knowledge' | 'history';
  text: string;
  documentId?: string;
  unit?: number;
}

/**
 * The system prompt plus the history turns and knowledge chunks that best match the query, within a
 * budget; tools are retrieved the same way (BM25 over their names, descriptions and parameters,
 * queried with what the user said, newest first), the best `tools` of them counted first.
 */
export const rag = defineStrategy({
  name: 'rag',
  description: 'the top retrieved tools + system prompt + the top retrieved history turns and knowledge chunks for the current query, within a token budget',
  options: z
    .object({
      maxTokens: tunedCountOption('token budget of every context (prompt tokens as billed)', BASELINE_DEFAULTS.rag.maxTokens),
      candidates: tunedCountOption('candidates retrieved from knowledge and from history before fusion', BASELINE_DEFAULTS.rag.candidates),
      tools: tunedCountOption('tools retrieved by BM25 over their names and descriptions (0 sends none)', BASELINE_DEFAULTS.rag.tools, 0),
    })
    .strict(),
  settingsFor: (options, dataset) => baselineSettings('rag', options, dataset),
  create: (options, { counter }) => {
    const knowledgeBases = new KnowledgeBaseCache(counter);
    const toolIndexes = new ToolIndexCache(counter);
    return {
      budget: largest('rag', options, 'maxTokens'),
      startEpisode: (episode) => {
        const { maxTokens, candidates, tools: toolCount } = checkedSettings('rag', options, episode.dataset);
        const knowledge = knowledgeBases.get(episode.knowledge);
        const inPrompt = new Set(episode.knowledge.filter((doc) => episode.systemPrompt.includes(doc.text)).map((doc) => doc.id));
        const history = new HistoryIndex();
        const toolIndex = toolIndexes.get(episode.tools ?? []);
        return {
          budget: maxTokens,
          assemble: (input) => {
            const units = toolExchangeUnits(input.history);
            history.sync(units);
            // The query and system prompt alone may be over the budget (a 20,000-character message): fit them first.
            const fixed = fitFixedParts({ system: input.episode.systemPrompt, query: input.query }, maxTokens, counter, HEADER_TOKENS * 2);
            const queryMessage: ChatMessage = { role: 'user', content: fixed.query! };
            const fromKnowledge: Candidate[] = knowledge
              .search(input.query, candidates)
              // Knowledge the system prompt already holds whole (tau-bench's policy is both) is not sent twice, as in naive.
              .filter((chunk) => !inPrompt.has(chunk.documentId))
              .map((chunk) => ({ id: chunk.id, kind: 'knowledge', text: chunk.text, documentId: chunk.documentId }));
            const askedAt = input.turn.query === undefined ? units.length - 1 : units.length;
            const fromHistory: Candidate[] = history
              .search(input.query, candidates, askedAt)
              .map((hit) => ({ id: `h${hit.id}`, kind: 'history', text: renderUnits([units[Number(hit.id)]!]), unit: Number(hit.id) }));
            // A turn that answers no new query (the agent acting on a tool result) reacts to the latest
            // exchange: it is kept first, verbatim, rather than left out of both the search and the query.
            const latest: Candidate[] =
              input.turn.query === undefined && units.length > 0 ? [{ id: `h${units.length - 1}`, kind: 'history', text: renderUnits([units.at(-1)!]), unit: units.length - 1 }] : [];
            const ranked = [...latest, ...fuseRanks<Candidate>([fromKnowledge, fromHistory])];

            const render = (kept: Candidate[]): ChatMessage[] => {
              const docs = kept.filter((c) => c.kind === 'knowledge').map((c) => c.text);
              const turns = kept.filter((c) => c.kind === 'history').sort((a, b) => a.unit! - b.unit!).map((c) => c.text);
              const parts = [fixed.system, docs.length ? `# Retrieved knowledge\n${docs.join('\n\n')}` : '', turns.length ? `# Retrieved conversation\n${turns.join('\n')}` : ''];
              return [{ role: 'system', content: parts.filter(Boolean).join('\n\n') }, queryMessage];
            };
            const tools = toolIndex.search(input.history, input.query, toolCount, maxTokens - counter.countMessages(render([])) - HEADER_TOKENS * 2);
            // Fill by per-candidate counts (cached), then verify the rendered whole exactly.
            const kept: Candidate[] = [];
            let used = counter.countMessages(render([])) + HEADER_TOKENS * 2 + tools.tokens;
            for (const candidate of ranked) {
              const cost = counter.count(candidate.text) + 2;
              if (used + cost > maxTokens) continue;
              kept.push(candidate);
              used += cost;
            }
            let messages = render(kept);
            while (kept.length > 0 && counter.countMessages(messages) + tools.tokens > maxTokens) {
              kept.pop();
              messages = render(kept);
            }
            return withTools(
              {
                messages,
                sections: { context: counter.countMessage(messages[0]!), query: counter.countMessage(queryMessage) },
                retrieved: [...new Set(kept.filter((c) => c.kind === 'knowledge').map((c) => c.documentId!))],
              },
              tools,
            );
          },
        };
      },
    };
  },
});
