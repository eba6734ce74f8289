import { defineStrategy, RunningSummary, toolExchangeUnits, type ChatMessage } from '../core/index.js';
import { z } from 'zod';
import { compactionSummarizer, declareParts } from './llm-parts.js';
import { BASELINE_DEFAULTS, baselineSettings, checkedSettings, checkForDatasets, largest, settingSource, type SettingsCheck } from './baseline-settings.js';
import { episodeTools, fixedMessages, messageSections, recentUnitsStart, tunedCountOption, withTools } from './shared.js';

const SUMMARY_HEADER = 'Summary of the earlier conversation:\n';

/** The summary cap must be below the budget on every dataset, whichever of the two was given and whichever was tuned. */
const summaryBelowBudget: SettingsCheck<'summary-buffer'> = ({ maxTokens, summaryTokens }, given, dataset) => {
  if (summaryTokens < maxTokens) return undefined;
  const from = (key: string) => settingSource('summary-buffer', key, given, dataset);
  if (given.summaryTokens !== undefined && given.maxTokens !== undefined) {
    return { key: 'summaryTokens', problem: `it must be below maxTokens (${maxTokens}, given)`, fix: `set summaryTokens below ${maxTokens}, or raise maxTokens above ${summaryTokens}` };
  }
  return given.summaryTokens !== undefined
    ? { key: 'summaryTokens', problem: `it must be below maxTokens (${maxTokens}, ${from('maxTokens')})`, fix: `set summaryTokens below ${maxTokens}, or give maxTokens above ${summaryTokens} as well` }
    : { key: 'maxTokens', problem: `it must be above summaryTokens (${summaryTokens}, ${from('summaryTokens')})`, fix: `set maxTokens above ${summaryTokens}, or give summaryTokens below ${maxTokens} as well` };
};

/**
 * Every tool (as many as fit), a running summary of older messages plus the recent messages within
 * a token limit. The summary is written by the summarizer production compacts with (the offline
 * ExtractiveSummarizer, or the configured LLM), so the two differ in what they keep, not in how
 * well they summarize.
 */
export const summaryBuffer = defineStrategy({
  name: 'summary-buffer',
  description: "every tool + running summary (production's summarizer: offline extractive, or the configured LLM) + recent messages within a token limit (tools included)",
  options: z
    .object({
      maxTokens: tunedCountOption('token budget of every context (prompt tokens as billed)', BASELINE_DEFAULTS['summary-buffer'].maxTokens),
      summaryTokens: tunedCountOption('tokens the running summary may take', BASELINE_DEFAULTS['summary-buffer'].summaryTokens),
    })
    .strict(),
  checkFor: (options, datasets) => checkForDatasets('summary-buffer', options, datasets, summaryBelowBudget),
  settingsFor: (options, dataset) => baselineSettings('summary-buffer', options, dataset),
  create: (options, { counter, llm }) => {
    // Both limits given hold on every dataset: checked here, before any conversation.
    if (options.maxTokens !== undefined && options.summaryTokens !== undefined) checkedSettings('summary-buffer', options, '', summaryBelowBudget);
    declareParts(llm, { summarizer: null });
    const summarizer = compactionSummarizer(llm, counter);
    return {
      budget: largest('summary-buffer', options, 'maxTokens'),
      startEpisode: (episode) => {
        const { maxTokens, summaryTokens } = checkedSettings('summary-buffer', options, episode.dataset, summaryBelowBudget);
        const summary = new RunningSummary(counter, summaryTokens, summarizer);
        const summaryReserve = summaryTokens + counter.countMessage({ role: 'system', content: SUMMARY_HEADER });
        return {
          budget: maxTokens,
          assemble: async (input) => {
            const { system, query } = fixedMessages(input, maxTokens, counter, summaryReserve);
            const units = toolExchangeUnits(input.history);
            // Reserve the summary's full cap so the window never has to shrink when it grows.
            const reserved = counter.countMessages([...system, ...query]) + summaryReserve;
            const tools = episodeTools(input.episode, counter, maxTokens - reserved);
            const room = maxTokens - reserved - tools.tokens;
            const start = recentUnitsStart(units, room, counter, summary.coveredUnits);
            const text = await summary.update(units, start);
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
