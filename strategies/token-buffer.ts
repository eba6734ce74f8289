import { defineStrategy, toolExchangeUnits } from '../core/index.js';
import { z } from 'zod';
import { countOption, episodeTools, fixedMessages, messageSections, recentUnitsStart, withTools } from './shared.js';

/** Every tool (as many as fit), the system prompt and as many recent messages as fit the token limit. */
export const tokenBuffer = defineStrategy({
  name: 'token-buffer',
  description: 'every tool + system prompt + as many recent messages as fit a token limit (tools included)',
  options: z.object({ maxTokens: countOption('token budget of every context (prompt tokens as billed)', 3000) }).strict(),
  create: ({ maxTokens }, { counter }) => ({
    budget: maxTokens,
    startEpisode: () => {
      return {
        assemble: (input) => {
          const { system, query } = fixedMessages(input, maxTokens, counter);
          const fixed = counter.countMessages([...system, ...query]);
          const tools = episodeTools(input.episode, counter, maxTokens - fixed);
          const units = toolExchangeUnits(input.history);
          const recent = units.slice(recentUnitsStart(units, maxTokens - fixed - tools.tokens, counter)).flat();
          return withTools({ messages: [...system, ...recent, ...query], sections: messageSections(counter, { system, history: recent, query }) }, tools);
        },
      };
    },
  }),
});
