import { beforeAll, describe, expect, it } from 'vitest';
import { sharedCounter, type AssembledContext, type ChatMessage, type Episode } from '../../core/index.js';
import { sgd } from '../../datasets/sgd.js';
import { tauBenchAirline } from '../../datasets/tau-bench.js';
import { strategies } from '../../strategies/index.js';
import { oversizedEpisodes, syntheticEpisode, withTools } from './fixtures.js';

const counter = sharedCounter('gpt-4o');
let episodes: Episode[] = [];

beforeAll(async () => {
  const tau = await tauBenchAirline.load({ ...tauBenchAirline.defaults(), limit: 3 });
  const dialogues = await sgd.load({ ...sgd.defaults(), limit: 2 });
  episodes = [syntheticEpisode('alice', 'AAA111'), syntheticEpisode('bob', 'BBB222', 30), ...tau.episodes, ...dialogues.episodes];
});

/** The contexts of an episode, and the budget they are held to: the conversation's own, else the strategy's (never above it). */
async function replayWithBudget(name: string, episode: Episode): Promise<{ contexts: AssembledContext[]; budget: number | null }> {
  const plugin = strategies.get(name);
  const strategy = plugin.create(plugin.defaults, { counter, model: 'gpt-4o' });
  const session = strategy.startEpisode(episode);
  const budget = session.budget !== undefined ? session.budget : strategy.budget;
  if (budget !== null) expect(budget).toBeLessThanOrEqual(strategy.budget ?? Infinity);
  const contexts: AssembledContext[] = [];
  for (const [turnIndex, turn] of episode.turns.entries()) {
    const history = episode.messages.slice(0, turn.at);
    const query = turn.query ?? [...history].reverse().find((m) => m.role === 'user')?.content ?? '';
    contexts.push(await session.assemble({ episode, turn, turnIndex, history, query }));
  }
  return { contexts, budget };
}

async function replay(name: string, episode: Episode): Promise<AssembledContext[]> {
  return (await replayWithBudget(name, episode)).contexts;
}

const text = (messages: ChatMessage[]) => messages.map((m) => `${m.content ?? ''} ${JSON.stringify(m.tool_calls ?? [])}`).join('\n');

describe.each(strategies.names())('strategy contract: %s', (name) => {
  it("never exceeds its declared budget, or its conversation's where it declares one", async () => {
    for (const episode of episodes) {
      const { contexts, budget } = await replayWithBudget(name, episode);
      for (const context of contexts) {
        if (budget !== null) expect(counter.countRequest(context.messages, context.tools)).toBeLessThanOrEqual(budget);
      }
    }
  });

  it('counts the tool definitions it sends toward its budget', async () => {
    // Tools alone that take most of a 3,000-token budget: a strategy that ignored them would overflow.
    const episode = withTools(syntheticEpisode('carol', 'CCC333', 20), 12);
    expect(counter.countTools(episode.tools)).toBeGreaterThan(2000);
    const { contexts, budget } = await replayWithBudget(name, episode);
    for (const context of contexts) {
      const tools = counter.countTools(context.tools);
      if (budget !== null) expect(counter.countMessages(context.messages) + tools).toBeLessThanOrEqual(budget);
      if (context.tools?.length) expect(context.sections.tools).toBe(tools);
    }
  });

  it('stays within its budget when the query, a tool result or the system prompt alone is over it', async () => {
    for (const episode of oversizedEpisodes()) {
      const { contexts, budget } = await replayWithBudget(name, episode);
      if (budget === null) continue;
      for (const context of contexts) expect(counter.countRequest(context.messages, context.tools), episode.id).toBeLessThanOrEqual(budget);
    }
  });

  it('never mutates its input', async () => {
    for (const episode of episodes) {
      const before = JSON.stringify(episode);
      await replay(name, episode);
      expect(JSON.stringify(episode)).toBe(before);
    }
  });

  it('is deterministic for the same input', async () => {
    for (const episode of episodes.slice(0, 3)) expect(await replay(name, episode)).toEqual(await replay(name, episode));
  });

  it("never leaks another user's data", async () => {
    const plugin = strategies.get(name);
    const strategy = plugin.create(plugin.defaults, { counter, model: 'gpt-4o' });
    const alice = syntheticEpisode('alice', 'AAA111');
    const bob = syntheticEpisode('bob', 'BBB222', 30);
    const aliceSession = strategy.startEpisode(alice);
    const bobSession = strategy.startEpisode(bob);
    for (const [turnIndex, turn] of bob.turns.entries()) {
      const aliceTurn = alice.turns[Math.min(turnIndex, alice.turns.length - 1)]!;
      const aliceHistory = alice.messages.slice(0, aliceTurn.at);
      await aliceSession.assemble({ episode: alice, turn: aliceTurn, turnIndex, history: aliceHistory, query: 'order status' });
      const history = bob.messages.slice(0, turn.at);
      const context = await bobSession.assemble({ episode: bob, turn, turnIndex, history, query: turn.query ?? 'order status' });
      expect(text(context.messages)).not.toContain('AAA111');
    }
  });

  it('never separates a tool call from its result', async () => {
    for (const episode of episodes) {
      for (const context of await replay(name, episode)) {
        const calls = new Set(context.messages.flatMap((m) => (m.tool_calls ?? []).map((c) => c.id)));
        const results = new Set(context.messages.flatMap((m) => (m.role === 'tool' ? [m.tool_call_id] : [])));
        for (const id of results) expect(calls.has(id!)).toBe(true);
        for (const id of calls) expect(results.has(id)).toBe(true);
      }
    }
  });
});
