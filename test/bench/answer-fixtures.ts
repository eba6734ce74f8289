import { z } from 'zod';
import { defineDataset, Registry, type DatasetLoader, type Episode } from '../../core/index.js';
import { strategies } from '../../strategies/index.js';
import { chatCompletion, type FakeResponse } from '../support/openai-server.js';

/** A memory episode with two gold-answer questions, and a support episode whose agent calls a tool. */
export const answerEpisodes: Episode[] = [
  {
    id: 'answer/mel',
    dataset: 'answers',
    userId: 'mel',
    systemPrompt: 'You remember what Mel said.',
    messages: [
      { role: 'user', content: 'I painted a sunset last week.' },
      { role: 'assistant', content: 'Lovely!' },
    ],
    knowledge: [],
    turns: [
      { at: 2, query: 'What did Mel paint?', probes: [{ kind: 'evidence', evidence: ['painted a sunset'], answer: 'a sunset' }] },
      { at: 2, query: 'Where does Mel live?', probes: [{ kind: 'evidence', evidence: [], answer: 'Paris' }] },
    ],
  },
  {
    id: 'answer/ana',
    dataset: 'answers',
    userId: 'ana',
    systemPrompt: 'You are an airline agent.',
    messages: [
      { role: 'user', content: 'Please cancel reservation ZFA04Y.' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'cancel_reservation', arguments: '{"reservation_id":"ZFA04Y","reason":"change of plan"}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: '{"status":"cancelled"}' },
      { role: 'assistant', content: 'It is cancelled.' },
    ],
    knowledge: [],
    turns: [
      { at: 1, probes: [] },
      { at: 3, probes: [] },
    ],
  },
];

const answers = defineDataset({ name: 'answers', description: 'answer evaluation episodes', options: z.object({}).strict(), load: async () => ({ name: 'answers', episodes: answerEpisodes, skipped: [] }) });
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const answerRegistries = { datasets: new Registry<DatasetLoader<any>>('dataset').register(answers), strategies };

type Body = Record<string, unknown>;
const lastUser = (body: Body) => [...(body.messages as Array<{ role: string; content: string }>)].reverse().find((m) => m.role === 'user')?.content ?? '';

/**
 * The scripted model: answers Mel's painting right and her city wrong, cancels Ana's reservation
 * with a wrong reason; as the judge (model "judge"), CORRECT when the answer contains the gold
 * answer, and a malformed reply when `malformedJudge` is set.
 */
export function scriptedModel(options: { malformedJudge?: boolean } = {}) {
  return (body: Body): FakeResponse => {
    const text = lastUser(body);
    if (body.model === 'judge') {
      if (options.malformedJudge) return chatCompletion('Hard to say.', { usage: { prompt: 300, completion: 5 } });
      const gold = /Gold answer: (.*)/.exec(text)![1]!;
      const generated = /Generated answer: (.*)/.exec(text)![1]!;
      return chatCompletion(JSON.stringify({ reasoning: 'compared', label: generated.toLowerCase().includes(gold.toLowerCase()) ? 'CORRECT' : 'WRONG' }), { usage: { prompt: 300, completion: 20 } });
    }
    if (text.includes('Mel paint')) return chatCompletion('Mel painted a sunset.', { usage: { prompt: 40, completion: 6 } });
    if (text.includes('Mel live')) return chatCompletion('Berlin.', { usage: { prompt: 40, completion: 2 } });
    return chatCompletion(null, { toolCalls: [{ name: 'cancel_reservation', arguments: '{"reservation_id":"ZFA04Y","reason":"other"}' }], usage: { prompt: 50, completion: 20 } });
  };
}
