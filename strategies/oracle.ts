import { z } from 'zod';
import { defineStrategy, messageToText, normalizeForMatch, type ChatMessage, type Probe, type ToolDefinition, type TurnInput } from '../core/index.js';
import { messageSections, queryMessages } from './shared.js';

/** A history message as text, and that text normalized for matching. */
interface Line {
  content: string | null;
  text: string;
  normalized: string;
}

/** The texts a turn's probes look for: the messages that stated each fact, the evidence, the governing documents. */
function neededTexts(input: TurnInput, probes: readonly Probe[], lineOf: (message: ChatMessage) => Line): string[] {
  const documents = new Map(input.episode.knowledge.map((doc) => [doc.id, doc]));
  const document = (id: string) => (documents.get(id) ? [`${documents.get(id)!.title}\n${documents.get(id)!.text}`] : []);
  let lines: Line[] | undefined;
  const historyLines = () => (lines ??= input.history.map(lineOf));
  const needed: string[] = [];
  for (const probe of probes) {
    switch (probe.kind) {
      case 'fact':
        for (const fact of probe.facts) {
          const needle = normalizeForMatch(fact.context ?? fact.value);
          const source = fact.origin === 'record' ? undefined : historyLines().find((line) => line.normalized.includes(needle));
          needed.push(source ? source.text : `${fact.key ?? 'value'}: ${fact.value}${fact.context ? ` (${fact.context})` : ''}`);
        }
        break;
      case 'evidence':
        needed.push(...probe.evidence);
        break;
      case 'document':
        needed.push(...document(probe.documentId));
        break;
      case 'policy':
        needed.push(...probe.documentIds.flatMap(document));
        break;
      case 'retrieval':
        needed.push(...Object.keys(probe.relevant).filter((id) => probe.relevant[id]! > 0).flatMap(document));
        break;
      case 'intent':
      case 'tool':
        break;
    }
  }
  return [...new Set(needed)];
}

/** The tools the recorded agent calls at this turn. */
function calledTools(input: TurnInput): ToolDefinition[] {
  const called = new Set((input.episode.messages[input.turn.at]?.tool_calls ?? []).map((call) => call.function.name));
  return (input.episode.tools ?? []).filter((tool) => called.has(tool.function.name));
}

/**
 * A reference that knows the answers: the system prompt, the tools the turn calls, exactly what
 * the turn's probes look for (rendered once each) and the query. The fewest tokens at full
 * fidelity, as a bound for every other strategy; never judged by the mission check.
 */
export const oracle = defineStrategy({
  name: 'oracle',
  description: 'reference that knows the answers: system prompt, the tools called, exactly what the probes need, the query',
  options: z.object({}).strict(),
  reference: true,
  create: (_options, { counter }) => ({
    budget: null,
    startEpisode: (episode) => {
      // A history message's text and its normalized form, once per message of the conversation.
      const lines = new WeakMap<ChatMessage, Line>();
      const lineOf = (message: ChatMessage) => {
        let line = lines.get(message);
        if (line === undefined || line.content !== message.content) {
          const text = messageToText(message);
          line = { content: message.content, text, normalized: normalizeForMatch(text) };
          lines.set(message, line);
        }
        return line;
      };
      return {
        assemble: (input) => {
          const needed = neededTexts(input, input.turn.probes, lineOf);
          const system: ChatMessage[] = [{ role: 'system', content: [episode.systemPrompt, needed.length ? `# What this turn needs\n${needed.join('\n')}` : ''].filter(Boolean).join('\n\n') }];
          const lastUser = input.turn.query === undefined ? input.history.filter((m) => m.role === 'user').slice(-1) : [];
          const query = [...lastUser, ...queryMessages(input)];
          const expected = input.turn.probes.find((probe) => probe.kind === 'intent');
          const tools = calledTools(input);
          return {
            messages: [...system, ...query],
            ...(tools.length ? { tools } : {}),
            sections: { ...(tools.length ? { tools: counter.countTools(tools) } : {}), ...messageSections(counter, { system, query }) },
            ...(expected?.kind === 'intent' ? { intent: { label: expected.expected, confidence: 1 } } : {}),
          };
        },
      };
    },
  }),
});
