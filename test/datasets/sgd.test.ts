import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, type Episode, type FactProbe, type Probe } from '../../core/index.js';
import { sgd } from '../../datasets/sgd.js';
import { expectDataError, fixtureDir } from './fixtures.js';

const defaults = sgd.defaults();
const devFile = join(defaults.dialogues as string, 'dialogues_slice.json');
const bundled = await sgd.load(defaults);
const episode = (id: string) => bundled.episodes.find((e) => e.id === `sgd/${id}`)!;
const fixtures = fixtureDir('sgd');

type Dialogue = { dialogue_id: string; services: string[]; turns: Array<Record<string, unknown> & { frames: Array<Record<string, unknown>> }> };
const sample = () => JSON.parse(readFileSync(devFile, 'utf8')) as Dialogue[];

/** The first bundled dialogue (1_00000, a restaurant reservation) with one change, loaded from a fixture file. */
function loadChanged(name: string, change: (dialogue: Dialogue) => void, options: { lenient?: boolean } = {}) {
  const dialogues = sample().slice(0, 3);
  change(dialogues[0]!);
  const file = fixtures.write(name, dialogues);
  return { file, load: sgd.load({ schema: defaults.schema, dialogues: file, ...options }) };
}
const probesAt = (e: Episode, at: number): Probe[] => e.turns.find((t) => t.at === at)!.probes;

describe('sgd on the bundled slice', () => {
  it('loads the 300 replayed dev dialogues, two thirds of them multi-service', () => {
    expect(bundled.episodes).toHaveLength(300);
    expect(bundled.skipped).toEqual([]);
    expect(bundled.episodes.filter((e) => (e.metadata!.services as string[]).length > 1)).toHaveLength(200);
  });

  it("turns a service call into an assistant tool call, its results into a tool message, then the system's utterance", () => {
    const messages = episode('1_00000').messages;
    const call = messages.findIndex((m) => m.tool_calls);
    expect(messages[call]).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [
        {
          id: 'call_1',
          type: 'function',
          function: { name: 'Restaurants_2_ReserveRestaurant', arguments: JSON.stringify({ date: '2019-03-01', location: 'San Jose', number_of_seats: '2', restaurant_name: 'Sino', time: '11:30' }) },
        },
      ],
    });
    expect(messages[call + 1]).toMatchObject({ role: 'tool', tool_call_id: 'call_1' });
    expect(JSON.parse(messages[call + 1]!.content!)[0]).toMatchObject({ restaurant_name: 'Sino', phone_number: '408-247-8880' });
    expect(messages[call + 2]).toEqual({ role: 'assistant', content: 'Your reservation has been made. Their phone number is 408-247-8880.' });
  });

  it("records the user's active intents on each user message", () => {
    const users = episode('1_00000').messages.filter((m) => m.role === 'user');
    expect(users[0]!.metadata).toEqual({ activeIntents: [{ service: 'Restaurants_2', intent: 'ReserveRestaurant' }] });
    expect(users.at(-1)!.metadata).toBeUndefined();
  });

  it('gives every episode every intent of every service as one shared list of OpenAI function tools', () => {
    const tools = bundled.episodes[0]!.tools!;
    expect(tools).toHaveLength(30);
    expect(bundled.episodes.every((e) => e.tools === tools)).toBe(true);
    expect(tools.find((t) => t.function.name === 'Banks_2_TransferMoney')).toEqual({
      type: 'function',
      function: {
        name: 'Banks_2_TransferMoney',
        description: 'Transfer money to another user (Banks_2: Service to manage your bank accounts and finances)',
        parameters: {
          type: 'object',
          properties: {
            account_type: { type: 'string', description: "The user's account type", enum: ['checking', 'savings'] },
            transfer_amount: { type: 'string', description: 'The amount of money to transfer' },
            recipient_name: { type: 'string', description: 'The name of the recipient to transfer the money to' },
            recipient_account_type: { type: 'string', description: 'The account type of the recipient to transfer the money to (default: checking)', enum: ['checking', 'savings'] },
          },
          required: ['account_type', 'transfer_amount', 'recipient_name'],
        },
      },
    });
  });

  it('probes the called tool, routing and the argument values as the user said them at a call', () => {
    const e = episode('1_00000');
    const call = e.messages.findIndex((m) => m.tool_calls);
    expect(probesAt(e, call)).toEqual([
      { kind: 'intent', expected: 'Restaurants/ReserveRestaurant' },
      { kind: 'tool', name: 'Restaurants_2_ReserveRestaurant' },
      { kind: 'fact', facts: expect.any(Array) },
    ]);
    const facts = (probesAt(e, call)[2] as FactProbe).facts;
    expect(facts.map((f) => [f.value, f.origin])).toEqual([
      ['today', 'agent'], // the assistant confirmed "today at 11:30" before the user agreed
      ['San Jose', 'customer'],
      ['Sino', 'customer'],
      ['11:30', 'agent'],
    ]);
  });

  it('makes every assistant message a turn; routing is probed while the user has an active intent', () => {
    const e = episode('1_00000');
    expect(e.turns.map((t) => t.at)).toEqual(e.messages.flatMap((m, i) => (m.role === 'assistant' ? [i] : [])));
    expect(probesAt(e, 1)).toEqual([{ kind: 'intent', expected: 'Restaurants/ReserveRestaurant' }]);
    expect(probesAt(e, e.messages.length - 1)).toEqual([]);
  });

  it('probes the intent of the service the conversation moved to', () => {
    const multi = bundled.episodes.find((e) => (e.metadata!.services as string[]).length > 1)!;
    const expected = new Set(multi.turns.flatMap((t) => t.probes.flatMap((p) => (p.kind === 'intent' ? [p.expected.split('/')[0]] : []))));
    expect(expected.size).toBeGreaterThan(1);
  });

  it('trains the router on the train split and the schemas: an intent per domain and intent, with the tools of its services', async () => {
    const profile = bundled.episodes[0]!.intentProfile!;
    expect(bundled.episodes.every((e) => e.intentProfile === profile)).toBe(true);
    const hotels = profile.intents.find((i) => i.name === 'Hotels/SearchHotel')!;
    expect(hotels.tools).toEqual(['Hotels_1_ReserveHotel', 'Hotels_1_SearchHotel', 'Hotels_4_ReserveHotel', 'Hotels_4_SearchHotel'].sort((a, b) => order(a) - order(b)));
    expect(profile.intents.find((i) => i.name === 'Buses/BuyBusTicket')!.examples.length).toBeGreaterThan(20);
    // The same profile whatever is replayed: nothing of the replayed dialogues trains it.
    const other = fixtures.write('other.json', sample().slice(-2));
    expect((await sgd.load({ ...defaults, dialogues: other })).episodes[0]!.intentProfile).toEqual(profile);
  });
});

const order = (name: string) => bundled.episodes[0]!.tools!.findIndex((t) => t.function.name === name);

describe('sgd options', () => {
  it('reads dialogue files and folders alike', async () => {
    const fromFile = await sgd.load({ schema: defaults.schema, dialogues: [devFile], limit: 5 });
    const fromFolder = await sgd.load({ schema: defaults.schema, dialogues: defaults.dialogues, limit: 5 });
    expect(fromFile.episodes.map((e) => e.id)).toEqual(fromFolder.episodes.map((e) => e.id));
  });

  it('refuses to train the router on the dialogues it replays', async () => {
    await expect(sgd.load({ ...defaults, trainDialogues: devFile })).rejects.toThrow(ConfigError);
  });

  it('rejects an empty list of dialogue paths', async () => {
    await expect(sgd.load({ schema: defaults.schema, dialogues: [] })).rejects.toThrow(/option "dialogues"/);
  });

  it('names a folder without dialogue files', async () => {
    const dir = join(fixtures.dir, 'empty');
    fixtures.write('empty/readme.txt', 'nothing');
    await expectDataError(sgd.load({ schema: defaults.schema, dialogues: dir }), { file: dir, record: 'folder', field: 'contents' });
  });
});

describe('sgd on malformed input', () => {
  it('names a call to a service the schema does not define', async () => {
    const { file, load } = loadChanged('undefined-service.json', (d) => {
      d.turns[5]!.frames[0]!.service = 'Restaurants_9';
    });
    const error = await expectDataError(load, { file, record: 'dialogue 1_00000', field: 'turns[5].frames[0].service' });
    expect(error.message).toContain('Restaurants_9');
  });

  it('names a call to a method its service does not have', async () => {
    const { file, load } = loadChanged('undefined-method.json', (d) => {
      (d.turns[5]!.frames[0]!.service_call as { method: string }).method = 'OrderPizza';
    });
    await expectDataError(load, { file, record: 'dialogue 1_00000', field: 'turns[5].frames[0].service_call.method' });
  });

  it('names a missing field', async () => {
    const { file, load } = loadChanged('missing-utterance.json', (d) => {
      delete d.turns[2]!.utterance;
    });
    const error = await expectDataError(load, { file, record: 'dialogue 1_00000', field: 'turns[2].utterance' });
    expect(error.message).toContain('is missing');
  });

  it('names a user frame without its state', async () => {
    const { file, load } = loadChanged('missing-state.json', (d) => {
      delete d.turns[0]!.frames[0]!.state;
    });
    await expectDataError(load, { file, record: 'dialogue 1_00000', field: 'turns[0].frames[0].state' });
  });

  it('skips a malformed dialogue under lenient and lists it', async () => {
    const { file, load } = loadChanged('lenient.json', (d) => {
      d.turns[5]!.frames[0]!.service = 'Restaurants_9';
    }, { lenient: true });
    const { episodes, skipped } = await load;
    expect(episodes.map((e) => e.id)).toEqual(['sgd/1_00008', 'sgd/1_00016']);
    expect(skipped).toEqual([{ file, record: 'dialogue 1_00000', reason: expect.stringContaining('turns[5].frames[0].service') }]);
  });

  it('names a dialogue file that is not valid JSON', async () => {
    const file = fixtures.write('dialogues_bad.json', '[{"dialogue_id": ');
    await expectDataError(sgd.load({ schema: defaults.schema, dialogues: file }), { file, record: 'file', field: 'contents' });
  });

  it('names a dialogue file that does not exist', async () => {
    const file = join(fixtures.dir, 'missing.json');
    await expectDataError(sgd.load({ schema: defaults.schema, dialogues: file }), { file, record: 'file', field: 'path' });
  });

  it('names a schema intent whose slot the service does not define', async () => {
    const schema = JSON.parse(readFileSync(defaults.schema, 'utf8')) as Array<{ service_name: string; intents: Array<{ required_slots: string[] }> }>;
    schema[0]!.intents[1]!.required_slots.push('alarm_volume');
    const file = fixtures.write('schema.json', schema);
    await expectDataError(sgd.load({ schema: file, dialogues: devFile }), { file, record: 'service Alarm_1', field: 'intents[1].required_slots[1]' });
  });
});
