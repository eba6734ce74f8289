import { defineStrategy, RunningSummary, toolExchangeUnits, type ChatMessage } from '../core/index.js';
import { episodeTools, messageSections, queryMessages, recentUnitsStart, withTools } from './shared.js';

const SUMMARY_HEADER = 'Summary of the earlier conversation:\n';

/** Every tool (as many as fit), a running extractive summary of older messages plus the recent messages within a token limit. */
export const summaryBuffer = defineStrategy({
  name: 'summary-buffer',
  description: 'every tool + running summary (offline extractive summarizer) + recent messages within a token limit (tools included)',
  defaults: { maxTokens: 3000, summaryTokens: 500 },
  create: ({ maxTokens, summaryTokens }, { counter }) => ({
    budget: maxTokens,
    startEpisode: (episode) => {
      const system: ChatMessage[] = [{ role: 'system', content: episode.systemPrompt }];
      const summary = new RunningSummary(counter, summaryTokens);
      return {
        assemble: (input) => {
          const query = queryMessages(input);
          const units = toolExchangeUnits(input.history);
          // Reserve the summary's full cap so the window never has to shrink when it grows.
          const reserved = counter.countMessages([...system, ...query]) + summaryTokens + counter.countMessage({ role: 'system', content: SUMMARY_HEADER });
          const tools = episodeTools(input.episode, counter, maxTokens - reserved);
          const room = maxTokens - reserved - tools.tokens;
          const start = recentUnitsStart(units, room, counter, summary.coveredUnits);
          const text = summary.update(units, start);
          const summaryMessages: ChatMessage[] = text ? [{ role: 'system', content: `${SUMMARY_HEADER}${text}` }] : [];
          const recent = units.slice(start).flat();
          return withTools(
            {
              messages: [...system, ...summaryMessages, ...recent, ...query],
              sections: messageSections(counter, { system, summary: summaryMessages, history: recent, query }),
            },
            tools,
          );
        },
      };
    },
  }),
});
