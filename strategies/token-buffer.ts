import { defineStrategy, toolExchangeUnits, type ChatMessage } from '../core/index.js';
import { episodeTools, messageSections, queryMessages, recentUnitsStart, withTools } from './shared.js';

/** Every tool (as many as fit), the system prompt and as many recent messages as fit the token limit. */
export const tokenBuffer = defineStrategy({
  name: 'token-buffer',
  description: 'every tool + system prompt + as many recent messages as fit a token limit (tools included)',
  defaults: { maxTokens: 3000 },
  create: ({ maxTokens }, { counter }) => ({
    budget: maxTokens,
    startEpisode: (episode) => {
      const system: ChatMessage[] = [{ role: 'system', content: episode.systemPrompt }];
      return {
        assemble: (input) => {
          const query = queryMessages(input);
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
