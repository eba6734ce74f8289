import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, type Episode, type EvidenceProbe } from '../../core/index.js';
import { bundledLocomoFiles, locomo } from '../../datasets/locomo.js';
import { expectDataError, fixtureDir } from './fixtures.js';

const bundled = await locomo.load({ ...locomo.defaults(), files: bundledLocomoFiles('all') });
const episode = (id: string) => bundled.episodes.find((e) => e.id === `locomo/${id}`)!;
const evidenceOf = (e: Episode, question: string) => e.turns.find((t) => t.query === question)!.probes[0] as EvidenceProbe;

const fixtures = fixtureDir('locomo');

/** A small conversation in the LoCoMo format: sessions out of order, a photo, a session with only a date. */
function conversation(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    speaker_a: 'Ana María',
    speaker_b: 'Bo',
    session_10_date_time: '12:30 pm on 29 February, 2024',
    session_10: [{ speaker: 'Bo', dia_id: 'D10:1', text: 'I adopted a cat.' }],
    session_2_date_time: '12:05 am on 1 January, 2024',
    session_2: [
      { speaker: 'Ana María', dia_id: 'D2:1', text: 'Happy new year!' },
      { speaker: 'Bo', dia_id: 'D2:2', text: 'Same to you.', blip_caption: 'a photo of fireworks', img_url: ['https://example.com/f.jpg'] },
    ],
    session_11_date_time: '1:00 pm on 1 March, 2024',
    session_2_summary: 'They exchanged new year wishes.',
    qa: [
      { question: 'What did Bo adopt?', answer: 'a cat', evidence: ['D10:1'], category: 1 },
      { question: 'When did they exchange wishes?', answer: 2024, evidence: ['D2:1; D2:02'], category: 2 },
      { question: 'What did Bo say about dogs?', evidence: ['D10:1'], category: 5, adversarial_answer: 'that he hates them' },
    ],
    ...overrides,
  };
}

function withQa(item: Record<string, unknown>): Record<string, unknown> {
  return conversation({ qa: [...(conversation().qa as unknown[]), item] });
}

describe('locomo on the bundled locomo10 files', () => {
  it('loads one episode per conversation file, named after the file', () => {
    expect(bundled.episodes.map((e) => e.id)).toEqual(['26', '30', '41', '42', '43', '44', '47', '48', '49', '50'].map((id) => `locomo/${id}`));
  });

  it('replays the eight test conversations by default; 26 and 30 are the development split', async () => {
    expect((await locomo.load(locomo.defaults())).episodes.map((e) => e.id)).toEqual(['41', '42', '43', '44', '47', '48', '49', '50'].map((id) => `locomo/${id}`));
    expect(bundledLocomoFiles('dev').map((file) => file.split('/').pop())).toEqual(['26.json', '30.json']);
  });

  it('loads the 1540 non-adversarial questions as turns', () => {
    expect(bundled.episodes.reduce((sum, e) => sum + e.turns.length, 0)).toBe(1540);
    expect(bundled.episodes.reduce((sum, e) => sum + (e.metadata!.questions as number), 0)).toBe(1540);
  });

  it('leaves out the adversarial questions of category 5', () => {
    expect(episode('26').turns).toHaveLength(152);
    expect(episode('26').turns.some((t) => t.query === 'What did Caroline realize after her charity race?')).toBe(false);
  });

  it('poses each question after the whole conversation with its gold answer', () => {
    const e = episode('26');
    const turn = e.turns.find((t) => t.query === 'When did Caroline go to the LGBTQ support group?')!;
    expect(turn.at).toBe(e.messages.length);
    expect(turn.probes).toEqual([{ kind: 'evidence', evidence: ['I went to a LGBTQ support group yesterday and it was so powerful.'], answer: '7 May 2023' }]);
  });

  it('gives every evidence text as the content of a message of the same episode', () => {
    for (const e of bundled.episodes) {
      const contents = new Set(e.messages.map((m) => m.content));
      for (const turn of e.turns) for (const text of (turn.probes[0] as EvidenceProbe).evidence) expect(contents).toContain(text);
    }
  });

  it('turns numeric answers into strings', () => {
    expect(evidenceOf(episode('26'), 'When did Melanie paint a sunrise?').answer).toBe('2022');
  });

  it('splits evidence lists written as one entry with semicolons or spaces', () => {
    expect(evidenceOf(episode('26'), 'What did Melanie paint recently?').evidence).toHaveLength(2);
    expect(evidenceOf(episode('49'), "How might Evan and Sam's experiences with health and lifestyle changes influence their approach to stress and challenges?").evidence).toHaveLength(3);
  });

  it('reads evidence ids written with an extra colon or a leading zero', () => {
    expect(evidenceOf(episode('43'), 'What authors has Tim read books from?').evidence).toHaveLength(7);
    expect(evidenceOf(episode('50'), 'When did Dave buy a vintage camera?').evidence).toEqual([
      episode('50').messages.find((m) => m.metadata!.diaId === 'D30:5')!.content,
    ]);
  });

  it('skips no record of the bundled data, and notes the evidence ids it repaired or left out', () => {
    expect(bundled.skipped).toEqual([]);
    const noTurn = bundled.notes!.filter((n) => n.reason.endsWith('names no turn: left out of the probe'));
    expect(noTurn).toEqual([
      { file: expect.stringMatching(/42\.json$/), record: 'qa[58]', reason: 'evidence D10:19 names no turn: left out of the probe', kind: 'repaired' },
      { file: expect.stringMatching(/42\.json$/), record: 'qa[88]', reason: 'evidence D names no turn: left out of the probe', kind: 'repaired' },
      { file: expect.stringMatching(/47\.json$/), record: 'qa[38]', reason: 'evidence D4:36 names no turn: left out of the probe', kind: 'repaired' },
    ]);
    expect(bundled.notes!.some((n) => n.kind === 'repaired' && /read as D\d+:\d+$/.test(n.reason))).toBe(true);
  });

  it('leaves evidence recall unscored for questions that have no evidence', () => {
    const unscored = bundled.notes!.filter((n) => n.kind === 'unscored');
    expect(unscored.length).toBeGreaterThan(0);
    const empty = bundled.episodes.flatMap((e) => e.turns).filter((t) => t.probes.some((p) => p.kind === 'evidence' && p.evidence.length === 0));
    expect(empty).toHaveLength(unscored.length);
  });

  it('makes speaker_a the user and speaker_b the assistant, each under their name', () => {
    expect(episode('26').userId).toBe('Caroline');
    expect(episode('26').messages.slice(0, 2)).toMatchObject([
      { role: 'user', name: 'Caroline', content: 'Hey Mel! Good to see you! How have you been?', metadata: { diaId: 'D1:1', session: 1 } },
      { role: 'assistant', name: 'Melanie' },
    ]);
  });

  it('stamps each message with its session date in ISO 8601', () => {
    expect(episode('26').messages[0]!.timestamp).toBe('2023-05-08T13:56:00.000Z');
    for (const e of bundled.episodes) for (const m of e.messages) expect(m.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z$/);
  });

  it('describes a shared photo by its caption', () => {
    expect(episode('26').messages.find((m) => m.metadata!.diaId === 'D1:5')!.content).toBe(
      'The transgender stories were so inspiring! I was so happy and thankful for all the support. [shared a photo: a photo of a dog walking past a wall with a painting of a woman]',
    );
  });

  it('has no knowledge documents and a system prompt about remembering', () => {
    expect(episode('30').knowledge).toEqual([]);
    expect(episode('30').systemPrompt).toMatch(/remember/);
  });
});

describe('locomo on another file of the same format', () => {
  const file = fixtures.write('small.json', conversation());
  const load = () => locomo.load({ files: [file] });

  it('orders sessions by number and skips sessions that only have a date', async () => {
    const [e] = (await load()).episodes;
    expect(e!.messages.map((m) => m.metadata!.diaId)).toEqual(['D2:1', 'D2:2', 'D10:1']);
    expect(e!.metadata).toMatchObject({ speakerA: 'Ana María', speakerB: 'Bo', sessions: 2, questions: 2 });
  });

  it('parses midnight, noon and leap days', async () => {
    const [e] = (await load()).episodes;
    expect(e!.messages.map((m) => m.timestamp)).toEqual(['2024-01-01T00:05:00.000Z', '2024-01-01T00:05:00.000Z', '2024-02-29T12:30:00.000Z']);
  });

  it('sanitizes speaker names for the message name field', async () => {
    const [e] = (await load()).episodes;
    expect(e!.messages[0]).toMatchObject({ role: 'user', name: 'Ana_Mar_a' });
    expect(e!.userId).toBe('Ana María');
  });

  it('reads evidence ids with leading zeros', async () => {
    const [e] = (await load()).episodes;
    expect(e!.turns[1]!.probes).toEqual([{ kind: 'evidence', evidence: ['Happy new year!', 'Same to you. [shared a photo: a photo of fireworks]'], answer: '2024' }]);
  });

  it('drops an evidence id that names no turn from the probe and lists it', async () => {
    const broken = fixtures.write('dangling.json', withQa({ question: 'What did Bo cook?', answer: 'soup', evidence: ['D10:1', 'D9:99'], category: 4 }));
    const loaded = await locomo.load({ files: [broken] });
    expect(loaded.episodes[0]!.turns[2]!.probes[0]).toMatchObject({ evidence: ['I adopted a cat.'] });
    expect(loaded.skipped).toEqual([]);
    expect(loaded.notes).toContainEqual({ file: broken, record: 'qa[3]', reason: 'evidence D9:99 names no turn: left out of the probe', kind: 'repaired' });
  });

  it('keeps at most limit episodes', async () => {
    const other = fixtures.write('other.json', conversation());
    expect((await locomo.load({ files: [file, other], limit: 1 })).episodes.map((e) => e.id)).toEqual(['locomo/small']);
  });
});

describe('locomo on malformed files', () => {
  const cases: Array<[string, Record<string, unknown>, string, string]> = [
    ['a missing speaker_a', conversation({ speaker_a: undefined }), 'conversation', 'speaker_a'],
    ['a session that is not an array', conversation({ session_2: 'hello' }), 'conversation', 'session_2'],
    ['a turn without text', conversation({ session_10: [{ speaker: 'Bo', dia_id: 'D10:1' }] }), 'conversation', 'session_10[0].text'],
    ['a turn by a third speaker', conversation({ session_10: [{ speaker: 'Cy', dia_id: 'D10:1', text: 'hi' }] }), 'conversation', 'session_10[0].speaker'],
    ['a session without a date', conversation({ session_10_date_time: undefined }), 'conversation', 'session_10_date_time'],
    ['an unparseable session date', conversation({ session_10_date_time: '30 February 2024, 1pm' }), 'conversation', 'session_10_date_time'],
    ['a date that does not exist', conversation({ session_10_date_time: '1:00 pm on 31 April, 2024' }), 'conversation', 'session_10_date_time'],
    ['qa that is not an array', conversation({ qa: {} }), 'conversation', 'qa'],
    ['a question without its text', withQa({ answer: 'x', evidence: [], category: 1 }), 'qa[3]', 'question'],
    ['a non-adversarial question without an answer', withQa({ question: 'Why?', evidence: [], category: 3 }), 'qa[3]', 'answer'],
    ['a category out of range', withQa({ question: 'Why?', answer: 'x', evidence: [], category: 6 }), 'qa[3]', 'category'],
    ['evidence that is not a list', withQa({ question: 'Why?', answer: 'x', evidence: 'D2:1', category: 1 }), 'qa[3]', 'evidence'],
  ];

  for (const [name, content, record, field] of cases) {
    it(`rejects ${name} with a DataError naming file, record and field`, async () => {
      const file = fixtures.write(`${name.replace(/\W+/g, '-')}.json`, content);
      await expectDataError(locomo.load({ files: [file] }), { file, record, field });
    });
  }

  it('rejects a dia_id used twice in a conversation, naming the dia_id and both turns', async () => {
    const file = fixtures.write('duplicate-dia-id.json', conversation({ session_10: [{ speaker: 'Bo', dia_id: 'D2:1', text: 'I adopted a cat.' }] }));
    const error = await expectDataError(locomo.load({ files: [file] }), { file, record: 'conversation', field: 'session_10[0].dia_id' });
    expect(error.message).toContain('session_10[0].dia_id must be unique in the conversation, but session_2[0] has the same dia_id: evidence naming it would point at the wrong turn, got string "D2:1"');
    expect(error.hint).toMatch(/^give the turn of session_10\[0\] its own dia_id \(D10:<its number in the session>\); or set the dataset option lenient to true/);
  });

  it('rejects a dia_id that repeats another once leading zeros are read', async () => {
    const file = fixtures.write('duplicate-dia-id-zeros.json', conversation({ session_10: [{ speaker: 'Bo', dia_id: 'D2:02', text: 'I adopted a cat.' }] }));
    const error = await expectDataError(locomo.load({ files: [file] }), { file, record: 'conversation', field: 'session_10[0].dia_id' });
    expect(error.message).toContain('but session_2[1] has the same dia_id (read as D2:2)');
  });

  it('rejects a bundled conversation whose session 5 turns were relabelled D2:1', async () => {
    const original = JSON.parse(readFileSync(bundledLocomoFiles('dev')[0]!, 'utf8')) as Record<string, Array<{ dia_id: string }>>;
    const relabelled = { ...original, session_5: original.session_5!.map((turn) => ({ ...turn, dia_id: 'D2:1' })) };
    const file = fixtures.write('26-relabelled.json', relabelled);
    const error = await expectDataError(locomo.load({ files: [file] }), { file, record: 'conversation', field: 'session_5[0].dia_id' });
    expect(error.message).toContain('but session_2[0] has the same dia_id');
  });

  it('rejects a misspelt session key, naming it and the key it stands for', async () => {
    const { session_2: turns, ...rest } = conversation();
    const file = fixtures.write('misspelt-session.json', { ...rest, sesion_2: turns });
    const error = await expectDataError(locomo.load({ files: [file] }), { file, record: 'conversation', field: 'sesion_2' });
    expect(error.message).toContain('sesion_2 is not a key of a LoCoMo conversation: did you mean "session_2"?');
    expect(error.hint).toMatch(/^rename "sesion_2" to "session_2"; or set the dataset option lenient to true/);
  });

  const misspelt: Array<[string, string]> = [
    ['Session_2', 'session_2'],
    ['session2', 'session_2'],
    ['sessoin_2', 'session_2'],
    ['session_2_datetime', 'session_2_date_time'],
  ];
  for (const [key, meant] of misspelt) {
    it(`rejects the key ${key} as a typo of ${meant}`, async () => {
      const file = fixtures.write(`typo-${key}.json`, { ...conversation(), [key]: conversation().session_2 });
      const error = await expectDataError(locomo.load({ files: [file] }), { file, record: 'conversation', field: key });
      expect(error.message).toContain(`did you mean "${meant}"?`);
    });
  }

  it('rejects an unknown key that holds turns or names a session', async () => {
    const turns = conversation().session_2;
    const dialogue = fixtures.write('unknown-turns.json', { ...conversation(), dialogue_3: turns });
    await expectDataError(locomo.load({ files: [dialogue] }), { file: dialogue, record: 'conversation', field: 'dialogue_3' });
    const named = fixtures.write('unknown-session-key.json', { ...conversation(), last_session: 'hello' });
    const error = await expectDataError(locomo.load({ files: [named] }), { file: named, record: 'conversation', field: 'last_session' });
    expect(error.message).toContain('looks like a session, which would be left out unread');
  });

  it('rejects a session date without its session when later sessions are there', async () => {
    const { session_2: _dropped, ...rest } = conversation();
    const file = fixtures.write('date-without-session.json', rest);
    const error = await expectDataError(locomo.load({ files: [file] }), { file, record: 'conversation', field: 'session_2_date_time' });
    expect(error.message).toContain('belongs to session 2, but the conversation has no key session_2 although session_10 comes later');
    expect(error.hint).toMatch(/^restore the key session_2 \(check its spelling\), or remove session_2_date_time/);
  });

  it('keeps dates of sessions after the last one, as upstream conversation 26 has, and unknown keys that are no session', async () => {
    const file = fixtures.write('trailing-dates.json', { ...conversation(), session_12_date_time: '1:00 pm on 2 March, 2024', sample_id: 'conv-x' });
    expect((await locomo.load({ files: [file] })).episodes[0]!.metadata).toMatchObject({ sessions: 2 });
  });

  it('skips a conversation with a repeated dia_id or a misspelt session under lenient', async () => {
    const duplicate = fixtures.write('lenient-duplicate.json', conversation({ session_10: [{ speaker: 'Bo', dia_id: 'D2:1', text: 'I adopted a cat.' }] }));
    const { session_2: turns, ...rest } = conversation();
    const typo = fixtures.write('lenient-typo.json', { ...rest, sesion_2: turns });
    const good = fixtures.write('lenient-good-2.json', conversation());
    const loaded = await locomo.load({ files: [duplicate, typo, good], lenient: true });
    expect(loaded.episodes.map((e) => e.id)).toEqual(['locomo/lenient-good-2']);
    expect(loaded.skipped).toEqual([
      { file: duplicate, record: 'conversation', reason: expect.stringContaining('session_10[0].dia_id must be unique in the conversation') },
      { file: typo, record: 'conversation', reason: expect.stringContaining('sesion_2 is not a key of a LoCoMo conversation') },
    ]);
  });

  it('rejects a file that is not JSON', async () => {
    const file = fixtures.write('not-json.json', '{ "speaker_a": ');
    await expectDataError(locomo.load({ files: [file] }), { file, record: 'file', field: 'contents' });
  });

  it('skips and lists a malformed conversation under lenient', async () => {
    const bad = fixtures.write('lenient-bad.json', conversation({ speaker_b: 42 }));
    const good = fixtures.write('lenient-good.json', conversation());
    const loaded = await locomo.load({ files: [bad, good], lenient: true });
    expect(loaded.episodes.map((e) => e.id)).toEqual(['locomo/lenient-good']);
    expect(loaded.skipped).toEqual([{ file: bad, record: 'conversation', reason: 'speaker_b must be a non-empty string, got number 42' }]);
  });

  it('skips and lists a malformed question under lenient, keeping the rest of the conversation', async () => {
    const file = fixtures.write('lenient-qa.json', withQa({ question: '', answer: 'x', evidence: [], category: 1 }));
    const loaded = await locomo.load({ files: [file], lenient: true });
    expect(loaded.episodes[0]!.turns).toHaveLength(2);
    expect(loaded.skipped).toEqual([{ file, record: 'qa[3]', reason: 'question must be a non-empty string' }]);
  });

  it('rejects an empty file list as a configuration error', async () => {
    await expect(locomo.load({ files: [] })).rejects.toBeInstanceOf(ConfigError);
  });
});
