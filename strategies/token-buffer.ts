import { defineStrategy, toolExchangeUnits, type ChatMessage } from '../core/index.js';
import { z } from 'zod';
import { countOption, messageSections, queryMessages, recentUnitsStart } from './shared.js';

/** The system prompt and as many recent messages as fit the token limit. */
export const tokenBuffer = defineStrategy({
  name: 'token-buffer',
  description: 'system prompt + as many recent messages as fit a token limit',
  options: z.object({ maxTokens: countOption('token budget of every context (prompt tokens as billed)', 3000) }).strict(),
  create: ({ maxTokens }, { counter }) => ({
    budget: maxTokens,
    startEpisode: (episode) => {
      const system: ChatMessage[] = [{ role: 'system', content: episode.systemPrompt }];
      return {
        assemble: (input) => {
          const query = queryMessages(input);
          const fixed = counter.countMessages([...system, ...query]);
          const units = toolExchangeUnits(input.history);
          const recent = units.slice(recentUnitsStart(units, maxTokens - fixed, counter)).flat();
          return { messages: [...system, ...recent, ...query], sections: messageSections(counter, { system, history: recent, query }) };
        },
      };
    },
  }),
});
