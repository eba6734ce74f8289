import { defineStrategy, type AssembledContext, type ChatMessage, type Episode, type StrategyPlugin, type TurnInput } from '../core/index.js';
import { messageSections, queryMessages, renderCustomer, renderKnowledge } from './shared.js';

/**
 * Degenerate contexts that bound the probes from below: each drops what a faithful context needs,
 * so each must score far below naive on the headline metrics, or the probes cannot tell good
 * contexts from bad ones. They are references: replayed and shown for scale, never judged.
 */
function referenceContext(name: string, description: string, build: (input: TurnInput, peer: Readonly<Episode> | undefined) => ChatMessage[]): StrategyPlugin<Record<string, never>> {
  return defineStrategy({
    name,
    description,
    defaults: {},
    reference: true,
    create: (_options, { counter }) => ({
      budget: null,
      startEpisode: (_episode, peer) => ({
        assemble: (input): AssembledContext => {
          const messages = build(input, peer);
          return { messages, sections: messageSections(counter, { context: messages }) };
        },
      }),
    }),
  });
}

const system = (content: string): ChatMessage[] => (content.trim() === '' ? [] : [{ role: 'system', content }]);

/** Nothing at all. */
export const emptyContext = referenceContext('ref-empty', 'reference: an empty context', () => []);

/** What every conversation shares: the system prompt and the knowledge, no customer, no history. */
export const instructionsContext = referenceContext('ref-instructions', 'reference: system prompt + knowledge only', ({ episode }) =>
  system([episode.systemPrompt, renderKnowledge(episode.knowledge.filter((doc) => !episode.systemPrompt.includes(doc.text)))].filter(Boolean).join('\n\n')),
);

/** The customer record alone. */
export const recordContext = referenceContext('ref-record', 'reference: the customer record only', ({ episode }) => system(renderCustomer(episode.customer)));

/** The last four messages and the turn's query. */
export const lastMessagesContext = referenceContext('ref-last-4', 'reference: the last 4 messages only', (input) => [...input.history.slice(-4), ...queryMessages(input)]);

/** Another conversation's full context (naive's, of a peer episode of the same dataset) with this turn's query. */
export const otherEpisodeContext = referenceContext('ref-other-episode', "reference: another conversation's full context", (input, peer) => {
  if (!peer) return queryMessages(input);
  const other = [peer.systemPrompt, renderKnowledge(peer.knowledge), renderCustomer(peer.customer)].filter(Boolean).join('\n\n');
  return [...system(other), ...peer.messages, ...queryMessages(input)];
});

/** Every reference context. */
export const REFERENCE_CONTEXTS = [emptyContext, instructionsContext, recordContext, lastMessagesContext, otherEpisodeContext];
