import { describe, expect, it } from 'vitest';
import { queryOf, sharedCounter, type AssembledContext, type Episode } from '../../core/index.js';
import { tauBenchAirline } from '../../datasets/tau-bench.js';
import { strategies } from '../../strategies/index.js';

const counter = sharedCounter('gpt-4o');
const { episodes } = await tauBenchAirline.load({ ...tauBenchAirline.defaults(), limit: 12 });

async function replay(options: Record<string, unknown>, episode: Episode): Promise<AssembledContext[]> {
  const plugin = strategies.get('production');
  const session = plugin.create({ ...plugin.defaults, ...options }, { counter, model: 'gpt-4o' }).startEpisode(episode);
  const contexts: AssembledContext[] = [];
  for (const [turnIndex, turn] of episode.turns.entries()) {
    const history = episode.messages.slice(0, turn.at);
    contexts.push(await session.assemble({ episode, turn, turnIndex, history, query: queryOf(history, turn) }));
  }
  return contexts;
}
const names = (context: AssembledContext) => (context.tools ?? []).map((t) => t.function.name);
/** Turns whose tool list differs from the turn before. */
const changes = (contexts: readonly AssembledContext[]) => contexts.filter((context, i) => i > 0 && names(context).join() !== names(contexts[i - 1]!).join()).length;

describe("production's tool routing on tau-bench", () => {
  it("with toolRouting 'conversation', changes the tools (which come before every message) on fewer turns than 'message', and only by appending", async () => {
    let byMessage = 0;
    let byConversation = 0;
    let calls = 0;
    let sent = 0;
    for (const episode of episodes) {
      byMessage += changes(await replay({ routeTools: true, toolRouting: 'message' }, episode));
      const contexts = await replay({ routeTools: true, toolRouting: 'conversation' }, episode);
      byConversation += changes(contexts);
      for (let i = 1; i < contexts.length; i++) expect(names(contexts[i]!).slice(0, names(contexts[i - 1]!).length)).toEqual(names(contexts[i - 1]!));
      episode.turns.forEach((turn, i) => {
        const tool = turn.probes.find((probe) => probe.kind === 'tool');
        if (tool?.kind !== 'tool') return;
        calls++;
        if (names(contexts[i]!).includes(tool.name)) sent++;
      });
    }
    expect(byConversation).toBeLessThan(byMessage);
    // The tool the recorded agent calls next is there at nearly every such turn.
    expect(calls).toBeGreaterThan(20);
    expect(sent / calls).toBeGreaterThanOrEqual(0.95);
  });

  it('sends fewer tool tokens than the whole catalog when it routes the tools', async () => {
    const contexts = (await Promise.all(episodes.map((episode) => replay({ routeTools: true, toolRouting: 'conversation' }, episode)))).flat();
    const mean = contexts.reduce((sum, context) => sum + counter.countTools(context.tools ?? []), 0) / contexts.length;
    expect(mean).toBeLessThan(counter.countTools(episodes[0]!.tools!) * 0.8);
  });
});
