import { defineStrategy, type ChatMessage } from '../core/index.js';
import { episodeTools, messageSections, queryMessages, renderCustomer, renderKnowledge, withTools } from './shared.js';

/** The dump-everything baseline: every tool, every knowledge document, the full customer record, the whole history verbatim. */
export const naive = defineStrategy({
  name: 'naive',
  description: 'every tool + system prompt + every knowledge document + the full customer record + the complete history; no budget',
  defaults: {},
  create: (_options, { counter }) => ({
    budget: null,
    startEpisode: (episode) => {
      // Knowledge the system prompt already holds (tau-bench's policy) is not sent twice.
      const knowledge = renderKnowledge(episode.knowledge.filter((doc) => !episode.systemPrompt.includes(doc.text)));
      const customer = renderCustomer(episode.customer);
      const system = [episode.systemPrompt, knowledge && `# Knowledge\n${knowledge}`, customer && `# Customer record\n${customer}`].filter(Boolean).join('\n\n');
      const systemMessages: ChatMessage[] = [{ role: 'system', content: system }];
      const tools = episodeTools(episode, counter);
      return {
        assemble: (input) => {
          const query = queryMessages(input);
          return withTools(
            {
              messages: [...systemMessages, ...input.history, ...query],
              sections: { ...messageSections(counter, { system: systemMessages, history: input.history, query }) },
            },
            tools,
          );
        },
      };
    },
  }),
});
