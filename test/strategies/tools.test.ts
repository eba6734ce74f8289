import { describe, expect, it } from 'vitest';
import { sharedCounter, type AssembledContext, type Episode } from '../../core/index.js';
import { sgd } from '../../datasets/sgd.js';
import { strategies } from '../../strategies/index.js';

const counter = sharedCounter('gpt-4o');
const { episodes } = await sgd.load(sgd.defaults());
// A conversation that calls services of two domains (a bus, then a rental car; or similar).
const multi = episodes.find((e) => new Set(e.messages.flatMap((m) => (m.tool_calls ?? []).map((c) => c.function.name.split('_')[0]))).size > 1)!;

async function replay(name: string, episode: Episode): Promise<AssembledContext[]> {
  const plugin = strategies.get(name);
  const session = plugin.create(plugin.defaults, { counter, model: 'gpt-4o' }).startEpisode(episode);
  const contexts: AssembledContext[] = [];
  for (const [turnIndex, turn] of episode.turns.entries()) {
    const history = episode.messages.slice(0, turn.at);
    const query = [...history].reverse().find((m) => m.role === 'user')?.content ?? '';
    contexts.push(await session.assemble({ episode, turn, turnIndex, history, query }));
  }
  return contexts;
}
const names = (context: AssembledContext) => (context.tools ?? []).map((t) => t.function.name);
const calledAt = (episode: Episode) => episode.turns.map((turn) => turn.probes.find((p) => p.kind === 'tool')?.name);

describe('strategies with tools (SGD)', () => {
  it.each(['naive', 'sliding-window'])('%s sends every tool of the episode', async (name) => {
    for (const context of await replay(name, multi)) expect(context.tools).toBe(multi.tools);
  });

  it('token-buffer sends as many tools as fit its budget, in catalog order', async () => {
    for (const context of await replay('token-buffer', multi)) {
      expect(names(context)).toEqual(multi.tools!.slice(0, names(context).length).map((t) => t.function.name));
      expect(context.sections.tools).toBe(counter.countTools(context.tools));
    }
  });

  it('rag sends at most its four best-matching tools', async () => {
    const contexts = await replay('rag', multi);
    for (const context of contexts) expect(names(context).length).toBeLessThanOrEqual(4);
    expect(contexts.some((context) => names(context).length > 0)).toBe(true);
  });

  it('production sends the called tool at every call of a multi-service conversation, with fewer tools than naive', async () => {
    const contexts = await replay('production', multi);
    const called = calledAt(multi);
    called.forEach((name, i) => name && expect(names(contexts[i]!)).toContain(name));
    expect(Math.max(...contexts.map((c) => c.tools?.length ?? 0))).toBeLessThan(multi.tools!.length / 2);
  });

  it('production reports the tokens of the tools it sends as a section', async () => {
    for (const context of await replay('production', multi)) expect(context.sections.tools).toBe(counter.countTools(context.tools));
  });

  it('production keeps the tools it sent in their positions, appending new ones', async () => {
    const contexts = await replay('production', multi);
    for (let i = 1; i < contexts.length; i++) {
      const before = names(contexts[i - 1]!);
      expect(names(contexts[i]!).slice(0, before.length)).toEqual(before);
    }
  });
});
