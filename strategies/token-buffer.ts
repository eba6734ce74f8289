import { defineStrategy, toolExchangeUnits } from '../core/index.js';
import { z } from 'zod';
import { BASELINE_DEFAULTS, baselineSettings, checkedSettings, largest } from './baseline-settings.js';
import { episodeTools, fixedMessages, messageSections, recentUnitsStart, tunedCountOption, withTools } from './shared.js';

/** Every tool (as many as fit), the system prompt and as many recent messages as fit the token limit. */
export const tokenBuffer = defineStrategy({
  name: 'token-buffer',
  description: 'every tool + system prompt + as many recent messages as fit a token limit (tools included)',
  options: z.object({ maxTokens: tunedCountOption('token budget of every context (prompt tokens as billed)', BASELINE_DEFAULTS['token-buffer'].maxTokens) }).strict(),
  settingsFor: (options, dataset) => baselineSettings('token-buffer', options, dataset),
  create: (options, { counter }) => {
    return {
      budget: largest('token-buffer', options, 'maxTokens'),
      startEpisode: (episode) => {
        const { maxTokens } = checkedSettings('token-buffer', options, episode.dataset);
        return {
          budget: maxTokens,
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
    };
  },
});
