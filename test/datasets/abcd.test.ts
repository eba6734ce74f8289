import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DataError, type DocumentProbe, type Episode, type FactProbe } from '../../core/index.js';
import { abcd } from '../../datasets/abcd.js';
import { expectDataError, fixtureDir } from './fixtures.js';

const defaults = abcd.defaults();
const bundled = await abcd.load(defaults);
const episode = (id: number) => bundled.episodes.find((e) => e.id === `abcd/${id}`)!;
const calls = (e: Episode) => e.messages.flatMap((m) => m.tool_calls ?? []).map((c) => ({ name: c.function.name, arguments: JSON.parse(c.function.arguments) as unknown }));

const fixtures = fixtureDir('abcd');

type Dialogue = { convo_id: number; scenario: Record<string, unknown>; original: unknown[][]; delexed?: unknown[] };
const sample = () => JSON.parse(readFileSync(defaults.dialogues, 'utf8')) as Dialogue[];
const guidelines = () => JSON.parse(readFileSync(defaults.guidelines, 'utf8')) as Record<string, unknown>;

/** Loads dialogues written to a fixture file against the bundled guidelines, kb and ontology. */
function loadDialogues(name: string, dialogues: unknown, options: { lenient?: boolean; limit?: number } = {}) {
  const file = fixtures.write(name, dialogues);
  return { file, load: abcd.load({ ...defaults, dialogues: file, ...options }) };
}

/** The first sample dialogue (3592, product_defect/return_size) with one change. */
function firstWith(change: (dialogue: Dialogue) => void): Dialogue[] {
  const dialogues = sample();
  change(dialogues[0]!);
  return dialogues;
}

describe('abcd on the bundled sample', () => {
  it('loads one episode per dialogue, named by its convo_id', () => {
    expect(bundled.episodes.map((e) => e.id)).toEqual(['abcd/3592', 'abcd/9489', 'abcd/3695']);
    expect(bundled.skipped).toEqual([]);
  });

  it('turns every action into a tool call followed by its tool result with the same id', () => {
    for (const e of bundled.episodes) {
      e.messages.forEach((message, i) => {
        if (!message.tool_calls) return;
        expect(message).toMatchObject({ role: 'assistant', content: null });
        expect(e.messages[i + 1]).toMatchObject({ role: 'tool', tool_call_id: message.tool_calls[0]!.id });
      });
    }
    expect(episode(3592).messages.filter((m) => m.role === 'tool').map((m) => [m.tool_call_id, m.content])).toEqual([
      ['call_1', 'Account has been pulled up for Crystal Minh.'],
      ['call_2', 'Purchase validation in progress ...'],
      ['call_3', 'Details of (977) 625-2661 have been entered.'],
      ['call_4', 'The manager has been notified.'],
    ]);
  });

  it('names each tool call after its ontology action with the slot values as arguments', () => {
    expect(calls(episode(3592))).toEqual([
      { name: 'pull-up-account', arguments: { customer_name: 'crystal minh' } },
      { name: 'validate-purchase', arguments: { username: 'cminh730', email: 'cminh730@email.com', order_id: '3348917502' } },
      { name: 'enter-details', arguments: { phone: '(977) 625-2661' } },
      { name: 'notify-team', arguments: { company_team: 'manager' } },
    ]);
  });

  it('maps customers to users and agents to assistants', () => {
    expect(episode(3592).messages.slice(0, 3)).toEqual([
      { role: 'assistant', content: 'Hi!' },
      { role: 'assistant', content: 'How can I help you?' },
      { role: 'user', content: 'Hi! I need to return an item, can you help me with that?' },
    ]);
  });

  it('makes every assistant message a turn probing the intent and its guideline', () => {
    const e = episode(3592);
    expect(e.turns.map((t) => t.at)).toEqual(e.messages.flatMap((m, i) => (m.role === 'assistant' ? [i] : [])));
    for (const turn of e.turns) {
      expect(turn.probes.slice(0, 2)).toEqual([
        { kind: 'intent', expected: 'product_defect/return_size' },
        { kind: 'document', documentId: 'guideline/product_defect/return_size' },
      ]);
    }
  });

  it('probes only documents that exist in the episode knowledge', () => {
    for (const e of bundled.episodes) {
      const ids = new Set(e.knowledge.map((d) => d.id));
      for (const probe of e.turns.flatMap((t) => t.probes)) if (probe.kind === 'document') expect(ids).toContain((probe as DocumentProbe).documentId);
    }
  });

  it('probes the earlier-mentioned values of an action as facts', () => {
    const e = episode(3592);
    const validate = e.messages.findIndex((m) => m.tool_calls?.[0]?.function.name === 'validate-purchase');
    const probe = e.turns.find((t) => t.at === validate)!.probes.find((p) => p.kind === 'fact') as FactProbe;
    expect(probe.facts.map((f) => [f.value, f.origin])).toEqual([
      ['cminh730', 'record'],
      ['cminh730@email.com', 'record'],
      ['3348917502', 'record'],
    ]);
  });

  it('reads the FAQ question number off the subflow of an FAQ scenario', () => {
    expect(episode(3695).turns[0]!.probes[0]).toEqual({ kind: 'intent', expected: 'storewide_query/timing' });
    expect(episode(3695).metadata).toMatchObject({ flow: 'storewide_query', subflow: 'timing', scenarioSubflow: 'timing_4' });
  });

  it('gives every episode the same 55 guidelines and 55 knowledge-base entries', () => {
    const knowledge = episode(3592).knowledge;
    expect(knowledge.filter((d) => d.id.startsWith('guideline/'))).toHaveLength(55);
    expect(knowledge.filter((d) => d.id.startsWith('kb/'))).toHaveLength(55);
    expect(bundled.episodes.every((e) => e.knowledge === knowledge)).toBe(true);
  });

  it('writes a guideline as its instructions and numbered steps', () => {
    const guideline = episode(3592).knowledge.find((d) => d.id === 'guideline/product_defect/refund_initiate')!;
    expect(guideline.title).toBe('Product Defect: Initiate Refund');
    expect(guideline.text).toContain('1. [Pull up Account] All chats in this flow start');
    expect(guideline.text).toContain('   - If the customer does not know, the default amount is $50');
  });

  it('writes a knowledge-base entry as the required actions with their slots', () => {
    expect(episode(3592).knowledge.find((d) => d.id === 'kb/recover_username')!.text).toBe('1. pull-up-account (customer_name, account_id)\n2. verify-identity (customer_name, account_id, order_id, zip_code)');
  });

  it('keeps the scenario as the customer record and names the user by username', () => {
    expect(episode(3592).userId).toBe('cminh730');
    expect(episode(3592).customer).toMatchObject({ profile: { email: 'cminh730@email.com' }, records: { order: { order_id: '3348917502' }, product: { names: ['michael_kors jeans'] } } });
  });

  it('names the user by customer name when there is no username', () => {
    expect(episode(3695).userId).toBe('joyce wu');
  });
});

describe('abcd on other files of the same format', () => {
  it('derives action names and values from the action text when there is no delexed annotation', async () => {
    const dialogues = sample().map(({ delexed: _delexed, ...dialogue }) => dialogue);
    const { load } = loadDialogues('undelexed.json', dialogues);
    const [first, , faq] = (await load).episodes;
    expect(calls(first!)).toEqual([
      { name: 'pull-up-account', arguments: { customer_name: 'crystal minh' } },
      { name: 'validate-purchase', arguments: {} },
      { name: 'enter-details', arguments: { phone: '(977) 625-2661' } },
      { name: 'notify-team', arguments: {} },
    ]);
    expect(calls(faq!).map((c) => c.name)).toEqual(['search-faq', 'search-timing', 'select-faq']);
  });

  it('names an action that matches no ontology action take-action', async () => {
    const { load } = loadDialogues('unmatched.json', firstWith((d) => {
      d.original.splice(3, 0, ['action', 'Something unusual happened.']);
      delete d.delexed;
    }));
    expect(calls((await load).episodes[0]!)[0]!.name).toBe('take-action');
  });

  it('reads the upstream file of train, dev and test splits', async () => {
    const [a, b, c] = sample();
    const { load } = loadDialogues('splits.json', { train: [a, b], dev: [c], test: [] });
    expect((await load).episodes.map((e) => e.id)).toEqual(['abcd/3592', 'abcd/9489', 'abcd/3695']);
  });

  it('keeps at most limit episodes', async () => {
    const { load } = loadDialogues('limit.json', sample(), { limit: 2 });
    expect((await load).episodes).toHaveLength(2);
  });
});

describe('abcd on malformed files', () => {
  const cases: Array<[string, (d: Dialogue) => void, string]> = [
    ['an unknown speaker', (d) => (d.original[7]![0] = 'bot'), 'original[7][0]'],
    ['a turn that is not a pair', (d) => (d.original[7] = ['agent']), 'original[7]'],
    ['a turn without text', (d) => (d.original[7]![1] = null), 'original[7][1]'],
    ['original that is not a list', (d) => ((d as Record<string, unknown>).original = 'hi'), 'original'],
    ['a missing scenario', (d) => ((d as Record<string, unknown>).scenario = undefined), 'scenario'],
    ['a flow that is not in the ontology', (d) => (d.scenario.flow = 'teleportation'), 'scenario.flow'],
    ['a subflow that is not in the ontology', (d) => (d.scenario.subflow = 'return_smell'), 'scenario.subflow'],
    ['delexed turns that do not line up', (d) => d.delexed!.pop(), 'delexed'],
    ['a delexed action without its values', (d) => ((d.delexed![6] as { targets: unknown[] }).targets[3] = 'crystal'), 'delexed[6].targets[3]'],
    ['no username or customer name', (d) => (d.scenario.personal = {}), 'scenario.personal.username'],
  ];

  for (const [name, change, field] of cases) {
    it(`rejects ${name} with a DataError naming file, dialogue and field`, async () => {
      const { file, load } = loadDialogues(`${name.replace(/\W+/g, '-')}.json`, firstWith(change));
      await expectDataError(load, { file, record: 'dialogue 3592', field });
    });
  }

  it('rejects a dialogue without a convo_id, naming it by position', async () => {
    const { file, load } = loadDialogues('no-id.json', firstWith((d) => ((d as Record<string, unknown>).convo_id = undefined)));
    await expectDataError(load, { file, record: 'dialogue #0', field: 'convo_id' });
  });

  it('rejects a dialogue whose subflow has no guideline', async () => {
    const { 'Product Defect': _removed, ...rest } = guidelines();
    const guidelinesFile = fixtures.write('guidelines-without-product-defect.json', rest);
    const load = abcd.load({ ...defaults, guidelines: guidelinesFile });
    const error = await expectDataError(load, { file: defaults.dialogues, record: 'dialogue 3592', field: 'scenario.subflow' });
    expect(error.message).toContain('no guideline/product_defect/return_size');
  });

  it('rejects a guideline flow that is not in the ontology', async () => {
    const file = fixtures.write('guidelines-unknown-flow.json', { ...guidelines(), 'Time Travel': { description: '', subflows: {} } });
    await expectDataError(abcd.load({ ...defaults, guidelines: file }), { file, record: 'flow "Time Travel"', field: 'name' });
  });

  it('rejects a guideline subflow that matches no ontology subflow', async () => {
    const all = guidelines() as Record<string, { subflows: Record<string, unknown> }>;
    all['Product Defect']!.subflows['Exchange Item'] = { actions: [], instructions: [] };
    const file = fixtures.write('guidelines-unknown-subflow.json', all);
    await expectDataError(abcd.load({ ...defaults, guidelines: file }), { file, record: 'flow "Product Defect"', field: 'subflows."Exchange Item"' });
  });

  it('rejects a knowledge-base entry that is not a list of actions', async () => {
    const file = fixtures.write('kb-bad.json', { recover_username: 'pull-up-account' });
    await expectDataError(abcd.load({ ...defaults, kb: file }), { file, record: 'kb', field: 'recover_username' });
  });

  it('skips and lists a malformed dialogue under lenient', async () => {
    const { file, load } = loadDialogues('lenient.json', firstWith((d) => (d.original[7]![0] = 'bot')), { lenient: true });
    const loaded = await load;
    expect(loaded.episodes.map((e) => e.id)).toEqual(['abcd/9489', 'abcd/3695']);
    expect(loaded.skipped).toEqual([{ file, record: 'dialogue 3592', reason: 'original[7][0] must be "agent", "customer" or "action", got string "bot"' }]);
  });

  it('still fails under lenient when a file the dialogues depend on is malformed', async () => {
    const file = fixtures.write('ontology-bad.json', { intents: {} });
    await expect(abcd.load({ ...defaults, ontology: file, lenient: true })).rejects.toBeInstanceOf(DataError);
  });
});

describe('ABCD customer snapshot', () => {
  it('normalizes the scenario order, payment and membership for the context loaders', async () => {
    const { abcd: loader } = await import('../../datasets/abcd.js');
    const [episode] = (await loader.load({ ...loader.defaults(), limit: 1 })).episodes;
    const snapshot = episode!.customer!.snapshot!;
    expect(snapshot.orders![0]).toMatchObject({ id: '3348917502', placedAt: '2019-11-06', items: [{ name: 'michael kors jeans', price: 94 }] });
    expect(snapshot.paymentMethods![0]!.kind).toBe('credit card');
    expect(snapshot.subscription!.plan).toBe('bronze membership');
  });
});

describe('ABCD intent profile for routing', () => {
  it('gives every episode the guideline-learned profile, which knows its intent and none of its utterances', async () => {
    const { abcd: loader } = await import('../../datasets/abcd.js');
    const { episodes } = await loader.load(loader.defaults());
    const profile = episodes[0]!.intentProfile!;
    expect(episodes.every((e) => e.intentProfile === profile)).toBe(true);
    const examples = new Set(profile.intents.flatMap((i) => i.examples));
    for (const episode of episodes) {
      expect(profile.intents.map((i) => i.name)).toContain(`${episode.metadata!.flow}/${episode.metadata!.subflow}`);
      for (const message of episode.messages.filter((m) => m.role === 'user')) expect(examples.has(message.content!)).toBe(false);
    }
  });
});
