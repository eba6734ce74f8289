import { defineStrategy, toolExchangeUnits, type ChatMessage } from '../core/index.js';
import { z } from 'zod';
import { BASELINE_DEFAULTS, baselineSettings, checkedSettings } from './baseline-settings.js';
import { episodeTools, messageSections, queryMessages, tunedCountOption, withTools } from './shared.js';

/** Every tool, the system prompt and the last N messages, widened so no tool result loses its call. */
export const slidingWindow = defineStrategy({
  name: 'sliding-window',
  description: 'every tool + system prompt + the last N messages (never splitting a tool call from its result)',
  options: z.object({ messages: tunedCountOption('messages kept, widened so no tool result loses its call', BASELINE_DEFAULTS['sliding-window'].messages) }).strict(),
  settingsFor: (options, dataset) => baselineSettings('sliding-window', options, dataset),
  create: (options, { counter }) => {
    return {
      budget: null,
      startEpisode: (episode) => {
        const { messages: windowSize } = checkedSettings('sliding-window', options, episode.dataset);
        const system: ChatMessage[] = [{ role: 'system', content: episode.systemPrompt }];
        const tools = episodeTools(episode, counter);
        return {
          assemble: (input) => {
            const units = toolExchangeUnits(input.history);
            const recent: ChatMessage[] = [];
            for (let i = units.length - 1; i >= 0 && recent.length < windowSize; i--) recent.unshift(...units[i]!);
            const query = queryMessages(input);
            return withTools({ messages: [...system, ...recent, ...query], sections: messageSections(counter, { system, history: recent, query }) }, tools);
          },
        };
      },
    };
  },
});
