import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { containsNormalized, normalizeForMatch, type ChatMessage, type LoadedDataset } from '../../core/index.js';
import { tauBenchAirline, type TauBenchOptions } from '../../datasets/tau-bench.js';
import { expectDataError, fixtureDir } from './fixtures.js';

const defaults = tauBenchAirline.defaults();
let bundled: LoadedDataset;
beforeAll(async () => {
  bundled = await tauBenchAirline.load({ ...defaults, split: 'all' });
});

const visibleText = (messages: readonly ChatMessage[]) =>
  normalizeForMatch(messages.map((m) => [m.content ?? '', ...(m.tool_calls ?? []).map((c) => `${c.function.name} ${c.function.arguments}`)].join('\n')).join('\n'));

describe('tau-bench airline loader on the bundled data', () => {
  it('loads one episode per recorded trajectory', () => {
    expect(bundled.name).toBe('tau-bench-airline');
    expect(bundled.episodes).toHaveLength(200);
    expect(bundled.skipped).toEqual([]);
    expect(new Set(bundled.episodes.map((e) => e.id)).size).toBe(200);
  });

  it('replays the test split by default and keeps every fifth task as development data', async () => {
    const test = await tauBenchAirline.load(defaults);
    const dev = await tauBenchAirline.load({ ...defaults, split: 'dev' });
    expect(test.episodes).toHaveLength(160);
    expect(dev.episodes).toHaveLength(40);
    expect(dev.episodes.every((e) => (e.metadata!.taskId as number) % 5 === 0)).toBe(true);
    expect(test.episodes.some((e) => (e.metadata!.taskId as number) % 5 === 0)).toBe(false);
    expect(new Set([...test.episodes, ...dev.episodes].map((e) => e.id)).size).toBe(200);
  });

  it('routes by an intent profile written from the policy and the tools, never from the trajectories', () => {
    const profile = bundled.episodes[0]!.intentProfile!;
    expect(profile.intents.map((i) => i.name)).toEqual(['book_flight', 'modify_flight', 'cancel_flight', 'refund', 'other']);
    expect(profile.intents.find((i) => i.name === 'cancel_flight')!.tools).toContain('cancel_reservation');
    const sections = bundled.episodes[0]!.knowledge.filter((d) => d.metadata?.intent).map((d) => [d.id, d.metadata!.intent]);
    expect(sections).toEqual([['policy#book-flight', 'book_flight'], ['policy#modify-flight', 'modify_flight'], ['policy#cancel-flight', 'cancel_flight'], ['policy#refund', 'refund']]);
    const recorded = new Set(bundled.episodes.flatMap((e) => e.messages.filter((m) => m.role === 'user').map((m) => m.content)));
    expect(profile.intents.flatMap((i) => i.examples).filter((example) => recorded.has(example))).toEqual([]);
  });

  it('probes the tool each recorded action calls', () => {
    const episode = bundled.episodes[0]!;
    for (const turn of episode.turns) {
      const call = episode.messages[turn.at]?.tool_calls?.[0];
      const probe = turn.probes.find((p) => p.kind === 'tool');
      expect(probe).toEqual(call ? { kind: 'tool', name: call.function.name } : undefined);
    }
    expect(episode.turns.some((turn) => turn.probes.some((p) => p.kind === 'tool'))).toBe(true);
  });

  it('names episodes by task and trial and keeps the reward as metadata', () => {
    const episode = bundled.episodes[0]!;
    expect(episode).toMatchObject({ id: 'tau-airline/task-0/trial-0', dataset: 'tau-bench-airline', metadata: { taskId: 0, trial: 0, reward: 0 } });
  });

  it('gives a known episode its user and only that user\'s reservations', () => {
    const episode = bundled.episodes.find((e) => e.id === 'tau-airline/task-0/trial-0')!;
    expect(episode.userId).toBe('mia_li_3668');
    expect(episode.customer!.profile).toMatchObject({ email: 'mia.li3818@example.com', membership: 'gold' });
    expect(Object.keys(episode.customer!.records)).toEqual(['NO6JO3', 'AIXC49', 'HKEG34']);
    for (const record of Object.values(episode.customer!.records)) expect(record).toMatchObject({ user_id: 'mia_li_3668' });
  });

  it("keeps the recorded agent's system prompt, the policy, as it was", () => {
    const recorded = (JSON.parse(readFileSync(defaults.trajectories, 'utf8')) as Array<{ traj: ChatMessage[] }>)[0]!.traj[0]!;
    expect(recorded.role).toBe('system');
    expect(bundled.episodes[0]!.systemPrompt).toBe(recorded.content);
    for (const episode of bundled.episodes) {
      expect(episode.messages[0]!.role).not.toBe('system');
      expect(episode.systemPrompt).toContain('# Airline Agent Policy');
    }
  });

  it("keeps the agent's 14 tools, and every recorded call names one of them with the arguments it declares", () => {
    const tools = new Map(bundled.episodes[0]!.tools!.map((t) => [t.function.name, t.function.parameters as { properties: Record<string, unknown>; required: string[] }]));
    expect(tools.size).toBe(14);
    for (const episode of bundled.episodes) {
      for (const call of episode.messages.flatMap((m) => m.tool_calls ?? [])) {
        const schema = tools.get(call.function.name);
        expect(schema, call.function.name).toBeDefined();
        const args = Object.keys(JSON.parse(call.function.arguments) as object);
        for (const key of args) expect(Object.keys(schema!.properties)).toContain(key);
        for (const key of schema!.required) expect(args).toContain(key);
      }
    }
  });

  it('probes the policy sections that govern each action that changes the database', () => {
    const turns = bundled.episodes.flatMap((e) => e.turns.map((t) => ({ turn: t, call: e.messages[t.at]!.tool_calls?.[0]?.function.name })));
    const cancel = turns.find(({ call }) => call === 'cancel_reservation')!;
    expect(cancel.turn.probes).toContainEqual({ kind: 'policy', documentIds: ['policy#airline-agent-policy', 'policy#cancel-flight'] });
    const lookup = turns.find(({ call }) => call === 'get_user_details')!;
    expect(lookup.turn.probes.some((p) => p.kind === 'policy')).toBe(false);
  });

  it('splits the policy into sections at its headings without losing text', () => {
    const policy = readFileSync(defaults.policy, 'utf8');
    const knowledge = bundled.episodes[0]!.knowledge;
    expect(knowledge.map((d) => [d.id, d.title])).toEqual([
      ['policy#airline-agent-policy', 'Airline Agent Policy'],
      ['policy#domain-basic', 'Domain Basic'],
      ['policy#book-flight', 'Book flight'],
      ['policy#modify-flight', 'Modify flight'],
      ['policy#cancel-flight', 'Cancel flight'],
      ['policy#refund', 'Refund'],
    ]);
    const squash = (text: string) => text.replace(/\s+/g, '');
    expect(squash(knowledge.map((d) => d.text).join('\n'))).toBe(squash(policy));
  });

  it('keeps only the chat-message fields of each recorded message', () => {
    const allowed = new Set(['role', 'content', 'name', 'tool_calls', 'tool_call_id']);
    for (const message of bundled.episodes.flatMap((e) => e.messages)) {
      expect(Object.keys(message).filter((key) => !allowed.has(key))).toEqual([]);
    }
  });

  it('places every tool result after the assistant message that called it', () => {
    for (const episode of bundled.episodes) {
      episode.messages.forEach((message, index) => {
        if (message.role !== 'tool') return;
        const earlierCalls = episode.messages.slice(0, index).flatMap((m) => m.tool_calls ?? []).map((c) => c.id);
        expect(earlierCalls).toContain(message.tool_call_id);
      });
    }
  });

  it('makes one turn per recorded assistant message, seeing the messages before it', () => {
    for (const episode of bundled.episodes) {
      const assistantIndexes = episode.messages.flatMap((m, i) => (m.role === 'assistant' ? [i] : []));
      expect(episode.turns.map((t) => t.at)).toEqual(assistantIndexes);
    }
  });

  it('probes facts that really appeared before the turn, or were in the customer record from the start', () => {
    const factTurns = bundled.episodes.flatMap((e) => e.turns.map((turn) => ({ episode: e, turn }))).filter(({ turn }) => turn.probes.length > 0);
    expect(factTurns.length).toBeGreaterThan(100);
    const origins = new Set<string>();
    for (const { episode, turn } of factTurns) {
      const earlier = visibleText(episode.messages.slice(0, turn.at));
      const record = normalizeForMatch(JSON.stringify([episode.customer!.profile, episode.customer!.records]) + episode.knowledge.map((d) => d.text).join('\n'));
      for (const probe of turn.probes) {
        expect(['fact', 'policy', 'tool']).toContain(probe.kind);
        for (const fact of probe.kind === 'fact' ? probe.facts : []) {
          origins.add(fact.origin);
          expect(containsNormalized(fact.origin === 'record' ? record : earlier, fact.value)).toBe(true);
        }
      }
    }
    expect([...origins].sort()).toEqual(['agent', 'customer', 'record', 'tool']);
  });

  it('keeps the first N episodes under limit', async () => {
    const limited = await tauBenchAirline.load({ ...defaults, split: 'all', limit: 3 });
    expect(limited.episodes.map((e) => e.id)).toEqual(bundled.episodes.slice(0, 3).map((e) => e.id));
  });
});

const fixtures = fixtureDir('tau');
let written = 0;

const call = (id: string, name: string, args: object) => ({ id, type: 'function', function: { name, arguments: JSON.stringify(args) } });
const conversation = (userId: string): object[] => [
  { role: 'system', content: '# Policy\n\nBe kind.' },
  { role: 'user', content: `Hi, I am ${userId} and I want to cancel reservation RES001.` },
  { role: 'assistant', content: null, tool_calls: [call('call_1', 'get_reservation_details', { reservation_id: 'RES001' })] },
  { role: 'tool', tool_call_id: 'call_1', name: 'get_reservation_details', content: '{"status":"confirmed"}' },
  { role: 'assistant', content: 'Your reservation RES001 is cancelled.', refusal: null },
];
const trajectory = (taskId: number, userId = 'ana_1', traj: object[] = conversation(userId)) => ({ task_id: taskId, reward: 1, info: { task: { user_id: userId } }, traj, trial: 0 });

/** Writes a small airline recording: the given trajectories against a two-user database. */
function airline(trajectories: unknown, overrides: Partial<Record<'trajectories' | 'users' | 'reservations' | 'policy' | 'tools', string>> = {}): Omit<TauBenchOptions, 'lenient'> {
  const n = ++written;
  return {
    trajectories: fixtures.write(`trajectories-${n}.json`, trajectories as string | object),
    users: fixtures.write(`users-${n}.json`, { ana_1: { email: 'ana@example.com', reservations: ['RES001'] }, bo_2: { reservations: [] } }),
    reservations: fixtures.write(`reservations-${n}.json`, { RES001: { user_id: 'ana_1', cabin: 'economy' }, RES002: { user_id: 'bo_2' } }),
    policy: fixtures.write(`policy-${n}.md`, 'Intro line.\n\n# Policy\n\nBe kind.\n\n## Refunds\n\nRefund within 24 hours.\n\n## Refunds\n\nAgain.\n'),
    tools: fixtures.write(`tools-${n}.json`, [{ type: 'function', function: { name: 'get_reservation_details', parameters: { type: 'object', properties: { reservation_id: { type: 'string' } } } } }]),
    ...overrides,
  };
}

describe('tau-bench airline loader on other files of the same format', () => {
  it('loads a recording of your own', async () => {
    const loaded = await tauBenchAirline.load(airline([trajectory(7), trajectory(8, 'bo_2')]));
    expect(loaded.episodes.map((e) => [e.id, e.userId])).toEqual([
      ['tau-airline/task-7/trial-0', 'ana_1'],
      ['tau-airline/task-8/trial-0', 'bo_2'],
    ]);
    expect(loaded.episodes[0]!.customer).toMatchObject({ profile: { email: 'ana@example.com', reservations: ['RES001'] }, records: { RES001: { user_id: 'ana_1', cabin: 'economy' } } });
    expect(loaded.episodes[0]!.customer!.snapshot!.orders!.map((o) => o.id)).toEqual(['RES001']);
    expect(loaded.episodes[1]!.customer!.records).toEqual({});
    expect(loaded.episodes[0]!.turns).toEqual([
      { at: 1, probes: [{ kind: 'fact', facts: [{ value: 'RES001', origin: 'record', key: 'reservation_id' }] }, { kind: 'tool', name: 'get_reservation_details' }] },
      { at: 3, probes: [] },
    ]);
  });

  it('drops provider-specific message fields', async () => {
    const loaded = await tauBenchAirline.load(airline([trajectory(7)]));
    expect(loaded.episodes[0]!.messages.at(-1)).toEqual({ role: 'assistant', content: 'Your reservation RES001 is cancelled.' });
  });

  it('gives text before the first heading and repeated headings their own sections', async () => {
    const loaded = await tauBenchAirline.load(airline([trajectory(7)]));
    expect(loaded.episodes[0]!.knowledge.map((d) => d.id)).toEqual(['policy#preamble', 'policy#policy', 'policy#refunds', 'policy#refunds-2']);
  });
});

describe('tau-bench airline loader on malformed input', () => {
  it('names a trajectories file that cannot be read', async () => {
    const options = { ...airline([]), trajectories: '/nonexistent/ctxbench/trajectories.json' };
    await expectDataError(tauBenchAirline.load(options), { file: options.trajectories, record: 'file', field: 'path' });
  });

  it('names a trajectories file that is not JSON', async () => {
    const options = airline('[{"task_id": 0,');
    await expectDataError(tauBenchAirline.load(options), { file: options.trajectories, record: 'file', field: 'contents' });
  });

  it('names a trajectories file that is not an array', async () => {
    const options = airline({ trajectories: [] });
    const error = await expectDataError(tauBenchAirline.load(options), { file: options.trajectories, record: 'file', field: 'top level' });
    expect(error.message).toContain('must be an array');
  });

  it('names a missing field of a trajectory', async () => {
    const { task_id: _, ...withoutTask } = trajectory(3);
    const options = airline([trajectory(0), withoutTask]);
    await expectDataError(tauBenchAirline.load(options), { file: options.trajectories, record: 'trajectory 1', field: 'task_id' });
  });

  it('names a field of the wrong type and what was expected', async () => {
    const options = airline([{ ...trajectory(4), trial: 1, reward: 'high' }]);
    const error = await expectDataError(tauBenchAirline.load(options), { file: options.trajectories, record: 'trajectory 0 (task 4, trial 1)', field: 'reward' });
    expect(error.message).toContain('must be a number, got string "high"');
  });

  it('names an unknown role with the message it is on', async () => {
    const traj = conversation('ana_1');
    traj[1] = { role: 'customer', content: 'hello' };
    const options = airline([trajectory(0), trajectory(5, 'ana_1', traj)]);
    const error = await expectDataError(tauBenchAirline.load(options), { file: options.trajectories, record: 'trajectory 1 (task 5, trial 0)', field: 'traj[1].role' });
    expect(error.message).toContain('must be one of system, developer, user, assistant, tool');
  });

  it('names a tool result whose call was never made', async () => {
    const traj = conversation('ana_1');
    traj[3] = { role: 'tool', tool_call_id: 'call_404', content: '{}' };
    const options = airline([trajectory(2, 'ana_1', traj)]);
    await expectDataError(tauBenchAirline.load(options), { file: options.trajectories, record: 'trajectory 0 (task 2, trial 0)', field: 'traj[3].tool_call_id' });
  });

  it('names a user id that is not in the users file', async () => {
    const options = airline([trajectory(6, 'zed_9')]);
    const error = await expectDataError(tauBenchAirline.load(options), { file: options.trajectories, record: 'trajectory 0 (task 6, trial 0)', field: 'info.task.user_id' });
    expect(error.message).toContain(options.users);
  });

  it('names a user whose reservation is missing from the reservations file', async () => {
    const options = airline([trajectory(0)], { users: fixtures.write('users-dangling.json', { ana_1: { reservations: ['RES404'] } }) });
    await expectDataError(tauBenchAirline.load(options), { file: options.users, record: 'user ana_1', field: 'reservations[0]' });
  });

  it('names a reservation listed under a user who does not own it', async () => {
    const options = airline([trajectory(0)], { users: fixtures.write('users-foreign.json', { ana_1: { reservations: ['RES001', 'RES002'] } }) });
    const error = await expectDataError(tauBenchAirline.load(options), { file: options.reservations, record: 'reservation RES002', field: 'user_id' });
    expect(error.message).toContain('must be ana_1');
  });

  it('rejects options without a path before reading anything', async () => {
    await expect(tauBenchAirline.load({ ...airline([]), policy: '' })).rejects.toThrow(/option policy = "" is invalid: must be a file path/);
  });
});

describe('tau-bench airline loader in lenient mode', () => {
  it('skips malformed trajectories and lists each with its reason', async () => {
    const traj = conversation('ana_1');
    traj[2] = { role: 'robot', content: 'beep' };
    const options = airline([trajectory(0), trajectory(1, 'zed_9'), trajectory(2, 'ana_1', traj), trajectory(3)]);
    const loaded = await tauBenchAirline.load({ ...options, lenient: true });
    expect(loaded.episodes.map((e) => e.metadata!.taskId)).toEqual([0, 3]);
    expect(loaded.skipped).toEqual([
      { file: options.trajectories, record: 'trajectory 1 (task 1, trial 0)', reason: expect.stringContaining('info.task.user_id') },
      { file: options.trajectories, record: 'trajectory 2 (task 2, trial 0)', reason: expect.stringContaining('traj[2].role') },
    ]);
  });

  it('skips a duplicate episode instead of loading it twice', async () => {
    const options = airline([trajectory(0), trajectory(0)]);
    const loaded = await tauBenchAirline.load({ ...options, lenient: true });
    expect(loaded.episodes).toHaveLength(1);
    expect(loaded.skipped).toEqual([{ file: options.trajectories, record: 'trajectory 1 (task 0, trial 0)', reason: expect.stringContaining('must be unique') }]);
  });

  it('still fails on a file it cannot read as a whole', async () => {
    const options = airline('not json');
    await expectDataError(tauBenchAirline.load({ ...options, lenient: true }), { file: options.trajectories, record: 'file', field: 'contents' });
  });
});

describe('tau-bench customer snapshot', () => {
  it('normalizes reservations, payment methods and payments for the context loaders', async () => {
    const { tauBenchAirline: loader } = await import('../../datasets/tau-bench.js');
    const [episode] = (await loader.load({ ...loader.defaults(), split: 'all', limit: 1 })).episodes;
    const snapshot = episode!.customer!.snapshot!;
    expect(snapshot.orders!.map((o) => o.id)).toEqual(['NO6JO3', 'AIXC49', 'HKEG34']);
    expect(snapshot.orders![0]!.items[0]!.name).toBe('HAT083 JFK->SEA on 2024-05-16');
    expect(snapshot.paymentMethods!.map((m) => m.id)).toContain('credit_card_4421486');
    expect(snapshot.subscription).toEqual({ plan: 'gold membership', status: 'active' });
    expect(snapshot.profile).not.toHaveProperty('payment_methods');
  });
});
