import { z } from 'zod';
import { defineStrategy, type ChatMessage } from '../core/index.js';
import { messageSections, queryMessages, renderCustomer, renderKnowledge } from './shared.js';

/** The dump-everything baseline: every knowledge document, the full customer record, the whole history verbatim. */
export const naive = defineStrategy({
  name: 'naive',
  description: 'system prompt + every knowledge document + the full customer record + the complete history; no budget',
  options: z.object({}).strict(),
  create: (_options, { counter }) => ({
    budget: null,
    startEpisode: (episode) => {
      const knowledge = renderKnowledge(episode.knowledge);
      const customer = renderCustomer(episode.customer);
      const system = [episode.systemPrompt, knowledge && `# Knowledge\n${knowledge}`, customer && `# Customer record\n${customer}`].filter(Boolean).join('\n\n');
      const systemMessages: ChatMessage[] = [{ role: 'system', content: system }];
      const retrieved = episode.knowledge.map((doc) => doc.id);
      return {
        assemble: (input) => {
          const query = queryMessages(input);
          return {
            messages: [...systemMessages, ...input.history, ...query],
            sections: { ...messageSections(counter, { system: systemMessages, history: input.history, query }) },
            retrieved,
          };
        },
      };
    },
  }),
});
