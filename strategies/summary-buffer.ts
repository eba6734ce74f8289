import { defineStrategy, RunningSummary, toolExchangeUnits, type ChatMessage } from '../core/index.js';
import { z } from 'zod';
import { declareParts } from './llm-parts.js';
import { countOption, episodeTools, fixedMessages, messageSections, recentUnitsStart, withTools } from './shared.js';

const SUMMARY_HEADER = 'Summary of the earlier conversation:\n';

/** Every tool (as many as fit), a running extractive summary of older messages plus the recent messages within a token limit. */
export const summaryBuffer = defineStrategy({
  name: 'summary-buffer',
  description: 'every tool + running summary (offline extractive summarizer) + recent messages within a token limit (tools included)',
  options: z
    .object({
      maxTokens: countOption('token budget of every context (prompt tokens as billed)', 3000),
      summaryTokens: countOption('tokens the running summary may take', 500),
    })
    .strict()
    .refine((o) => o.summaryTokens < o.maxTokens, { message: 'summaryTokens must be below maxTokens', path: ['summaryTokens'] }),
  create: ({ maxTokens, summaryTokens }, { counter, llm }) => {
    declareParts(llm, { summarizer: 'the running summary is extractive and updated synchronously at every turn' });
    return {
      budget: maxTokens,
      startEpisode: () => {
        const summary = new RunningSummary(counter, summaryTokens);
        const summaryReserve = summaryTokens + counter.countMessage({ role: 'system', content: SUMMARY_HEADER });
        return {
          assemble: (input) => {
            const { system, query } = fixedMessages(input, maxTokens, counter, summaryReserve);
            const units = toolExchangeUnits(input.history);
            // Reserve the summary's full cap so the window never has to shrink when it grows.
            const reserved = counter.countMessages([...system, ...query]) + summaryReserve;
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
    };
  },
});
