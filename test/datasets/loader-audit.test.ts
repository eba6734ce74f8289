// What an audit of the loaders with user-brought files reproduced (2026-12-01): each ran with
// exit 0 and silently wrong or misleading numbers. Each is now a clear error, or counted.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DataError, inputFilesOf } from '../../core/index.js';
import { abcd } from '../../datasets/abcd.js';
import { sgd } from '../../datasets/sgd.js';
import { tauBenchAirline } from '../../datasets/tau-bench.js';
import { fixtureDir } from './fixtures.js';

const fixtures = fixtureDir('loader-audit');

describe('sgd', () => {
  const defaults = sgd.defaults();
  const devFile = join(defaults.dialogues as string, 'dialogues_slice.json');
  type Dialogue = { dialogue_id: string; turns: Array<{ speaker: string; frames: Array<Record<string, unknown>> }> };
  const sample = () => (JSON.parse(readFileSync(devFile, 'utf8')) as Dialogue[]).slice(0, 3);
  /** The first frame with a service call of the first dialogue. */
  const callFrame = (dialogues: Dialogue[]) => dialogues[0]!.turns.flatMap((turn) => turn.frames).find((frame) => frame.service_call !== undefined)!;

  it('refuses to train the router on a copy of the replayed dialogues, not only on the same path', async () => {
    const dialogues = fixtures.write('replayed.json', sample());
    const copy = fixtures.write('copy-of-replayed.json', sample());
    await expect(sgd.load({ ...defaults, dialogues, trainDialogues: copy })).rejects.toThrow(/is the replayed .* turn for turn/);
  });

  it('refuses training dialogues that give no training example', async () => {
    await expect(sgd.load({ ...defaults, trainDialogues: fixtures.write('empty-train.json', []) })).rejects.toThrow(ConfigError);
    const lower = (JSON.parse(readFileSync(join(defaults.trainDialogues as string, 'dialogues_slice.json'), 'utf8')) as Dialogue[]).slice(0, 20);
    for (const dialogue of lower) for (const turn of dialogue.turns) turn.speaker = turn.speaker.toLowerCase();
    await expect(sgd.load({ ...defaults, trainDialogues: fixtures.write('lowercase-train.json', lower) })).rejects.toThrow(/gave no training example/);
  });

  it("refuses a service call the schema's tool would not accept: a slot the intent does not take, a value outside a categorical slot's", async () => {
    const cases: Array<[string, (parameters: Record<string, unknown>) => void, RegExp]> = [
      ['extra-slot', (p) => (p.price_range = 'cheap'), /parameters.price_range must be a slot .* takes/],
      ['bad-value', (p) => (p.number_of_seats = '99'), /parameters.number_of_seats must be one of the slot's possible values/],
    ];
    for (const [name, change, message] of cases) {
      const dialogues = sample();
      change((callFrame(dialogues).service_call as { parameters: Record<string, unknown> }).parameters);
      await expect(sgd.load({ schema: defaults.schema, dialogues: fixtures.write(`${name}.json`, dialogues) })).rejects.toThrow(message);
    }
    // A missing required slot is accepted: SGD's own training data has ReserveHotel calls without their location.
    const dialogues = sample();
    delete (callFrame(dialogues).service_call as { parameters: Record<string, unknown> }).parameters.location;
    await expect(sgd.load({ schema: defaults.schema, dialogues: fixtures.write('missing-required.json', dialogues) })).resolves.toMatchObject({ skipped: [] });
  });

  it('refuses a misspelt field instead of dropping it (service_cal lost the call)', async () => {
    const dialogues = sample();
    const frame = callFrame(dialogues);
    frame.service_cal = frame.service_call;
    delete frame.service_call;
    const error = await sgd.load({ schema: defaults.schema, dialogues: fixtures.write('misspelt.json', dialogues) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).message).toMatch(/service_cal is not a field of this format/);
    expect((error as DataError).hint).toMatch(/service_call/);
  });

  it("records every replayed dialogue file of a folder among the run's inputs", () => {
    const folder = join(fixtures.dir, 'folder');
    mkdirSync(folder, { recursive: true });
    copyFileSync(devFile, join(folder, 'dialogues_001.json'));
    copyFileSync(devFile, join(folder, 'dialogues_002.json'));
    const files = inputFilesOf(sgd.options, { ...defaults, dialogues: folder }).filter((input) => input.option === 'dialogues');
    expect(files.map((input) => input.file)).toEqual([join(folder, 'dialogues_001.json'), join(folder, 'dialogues_002.json')]);
  });

  it('lists a dialogue with no agent turn as skipped, so the episodes counted are the ones scored', async () => {
    const dialogues = sample();
    dialogues[1]!.turns = dialogues[1]!.turns.filter((turn) => turn.speaker === 'USER').slice(0, 1);
    const loaded = await sgd.load({ schema: defaults.schema, dialogues: fixtures.write('user-only.json', dialogues) });
    expect(loaded.episodes).toHaveLength(2);
    expect(loaded.skipped).toEqual([expect.objectContaining({ reason: 'it has no agent turn to replay or score' })]);
  });

  it('does not suggest lenient for a file that is not JSON: it cannot skip a whole file', async () => {
    const error = await sgd.load({ schema: defaults.schema, dialogues: fixtures.write('broken.json', '[{') }).catch((e: unknown) => e);
    expect((error as DataError).hint).not.toMatch(/lenient/);
  });
});

describe('tau-bench', () => {
  const defaults = tauBenchAirline.defaults();
  type Trajectory = { task_id: number; traj: Array<{ role: string; tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }> }> };
  const bundled = () => JSON.parse(readFileSync(defaults.trajectories, 'utf8')) as Trajectory[];
  const firstCall = (trajectory: Trajectory) => trajectory.traj.flatMap((m) => m.tool_calls ?? [])[0]!;

  it('refuses tool-call arguments that are not JSON, and a tool the tools file does not define', async () => {
    const badArgs = bundled().slice(0, 3);
    firstCall(badArgs[0]!).function.arguments = '{"reservation_id": ';
    await expect(tauBenchAirline.load({ ...defaults, trajectories: fixtures.write('bad-args.json', badArgs) })).rejects.toThrow(/arguments/);
    const unknown = bundled().slice(0, 3);
    firstCall(unknown[0]!).function.name = 'launch_rocket';
    await expect(tauBenchAirline.load({ ...defaults, trajectories: fixtures.write('unknown-tool.json', unknown) })).rejects.toThrow(/function.name must be a tool of the tools file/);
  });

  it('refuses a policy without the sections that govern its tools (renamed headings silently weakened the policy probes)', async () => {
    const policy = readFileSync(defaults.policy, 'utf8').replace('## Book flight', '## Booking');
    await expect(tauBenchAirline.load({ ...defaults, policy: fixtures.write('renamed-policy.md', policy) })).rejects.toThrow(/sections that govern the tool book_reservation \("policy#book-flight", a heading such as "## Book flight"\)/);
  });

  it('replays only the test split of a copy of the bundled recordings, as of the bundled file', async () => {
    const copy = fixtures.write('copy-of-bundled.json', readFileSync(defaults.trajectories, 'utf8'));
    const [fromCopy, bundledTest] = await Promise.all([tauBenchAirline.load({ ...defaults, trajectories: copy }), tauBenchAirline.load(defaults)]);
    expect(fromCopy.episodes.map((e) => e.id)).toEqual(bundledTest.episodes.map((e) => e.id));
    expect(fromCopy.episodes).toHaveLength(160);
  });

  it('names a bad record by its place in the file, not in the split', async () => {
    const trajectories = bundled().slice(0, 10);
    const bad = trajectories.findIndex((t, i) => i > 0 && t.task_id % 5 !== 0);
    (trajectories[bad] as unknown as { reward: unknown }).reward = 'high';
    await expect(tauBenchAirline.load({ ...defaults, trajectories: fixtures.write('bad-record.json', trajectories), split: 'test' })).rejects.toThrow(new RegExp(`trajectory ${bad} `));
  });
});

describe('abcd', () => {
  const defaults = abcd.defaults();
  type Dialogue = { delexed?: Array<{ targets: unknown[] }>; original: unknown[][] };
  const sample = () => JSON.parse(readFileSync(defaults.dialogues, 'utf8')) as Dialogue[];

  it('refuses an action the ontology does not have', async () => {
    const dialogues = sample();
    const action = dialogues[0]!.original.findIndex((turn) => turn[0] === 'action');
    dialogues[0]!.delexed![action]!.targets[2] = 'launch-missiles';
    await expect(abcd.load({ ...defaults, dialogues: fixtures.write('bad-action.json', dialogues) })).rejects.toThrow(/must be an action of the ontology/);
  });

  it('refuses an unknown split key and a knowledge base naming unknown subflows or actions', async () => {
    await expect(abcd.load({ ...defaults, dialogues: fixtures.write('splits.json', { tets: sample() }) })).rejects.toThrow(/tets is not a field/);
    await expect(abcd.load({ ...defaults, kb: fixtures.write('kb-subflow.json', { no_such_subflow: ['pull-up-account'] }) })).rejects.toThrow(/no_such_subflow must be a subflow of the ontology/);
    const kb = JSON.parse(readFileSync(defaults.kb, 'utf8')) as Record<string, string[]>;
    const [subflow] = Object.keys(kb);
    await expect(abcd.load({ ...defaults, kb: fixtures.write('kb-action.json', { ...kb, [subflow!]: ['pull-up-acount'] }) })).rejects.toThrow(/must be an action of the ontology/);
  });
});
