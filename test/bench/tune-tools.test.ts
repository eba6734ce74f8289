import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TOOL_ROUTING_DEFAULTS, type ToolRoutingSettings } from '../../core/index.js';
import { sgd } from '../../datasets/sgd.js';
import { production } from '../../strategies/production.js';
import { chooseSetting, GRID, PRESENCE_TOLERANCE, writeTrainFolds, type GridRow, type TuneRecord } from '../../bench/tune-tools.js';
import { expectDataError, fixtureDir } from '../datasets/fixtures.js';

const defaults = sgd.defaults();
const trainFolder = defaults.trainDialogues as string;
const trainFile = join(trainFolder, 'dialogues_slice.json');
const trainIds = (JSON.parse(readFileSync(trainFile, 'utf8')) as Array<{ dialogue_id: string }>).map((d) => d.dialogue_id);
const idsIn = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as Array<{ dialogue_id: string }>).map((d) => d.dialogue_id);
const fixtures = fixtureDir('tune-tools');
/** A fresh folder for one test's fold files. */
const foldDir = (name: string) => {
  const dir = join(fixtures.dir, name);
  mkdirSync(dir);
  return dir;
};
const record = JSON.parse(readFileSync(new URL('../../bench/tuning/sgd-tool-routing.json', import.meta.url), 'utf8')) as TuneRecord;

describe('tune-tools: the train split', () => {
  it('puts no train dialogue in both folds, so none both trains the router and is replayed', async () => {
    const folds = await writeTrainFolds(trainFolder, foldDir('split'));
    const router = idsIn(folds.router.file);
    const tuning = idsIn(folds.tuning.file);
    expect(router.filter((id) => tuning.includes(id))).toEqual([]);
    expect([...router, ...tuning].sort()).toEqual([...trainIds].sort());
    expect(router.length).toBeGreaterThan(100);
    expect(tuning.length).toBeGreaterThan(100);
  });

  it('teaches the router nothing of the unseen domains, which the tuning fold still calls', async () => {
    const folds = await writeTrainFolds(trainFolder, foldDir('unseen'));
    type Dialogue = { services: string[]; turns: Array<{ frames: Array<{ service: string }> }> };
    const domains = (file: string) =>
      (JSON.parse(readFileSync(file, 'utf8')) as Dialogue[]).flatMap((d) => [...d.services, ...d.turns.flatMap((t) => t.frames.map((f) => f.service))].map((s) => s.replace(/_\d+$/, '')));
    expect(folds.unseenDomains.length).toBeGreaterThan(0);
    expect(folds.withheldFrames).toBeGreaterThan(0);
    expect(domains(folds.router.file).filter((domain) => folds.unseenDomains.includes(domain))).toEqual([]);
    expect(folds.unseenDomains.every((domain) => domains(folds.tuning.file).includes(domain))).toBe(true);
  });

  it('replays only the tuning fold and trains the router on the other fold only', async () => {
    const folds = await writeTrainFolds(trainFolder, foldDir('loaded'));
    const loaded = await sgd.load({ schema: defaults.trainSchema, dialogues: folds.tuning.file, trainSchema: defaults.trainSchema, trainDialogues: folds.router.file });
    const replayed = loaded.episodes.map((episode) => episode.id.replace(/^sgd\//, ''));
    expect(replayed).toEqual(folds.tuning.ids);
    const routerIds = new Set(folds.router.ids);
    expect(replayed.filter((id) => routerIds.has(id))).toEqual([]);
    // What the router learns from the dialogues is the user turns of the router fold.
    const taught = new Set(loaded.episodes[0]!.intentProfile!.intents.flatMap((intent) => intent.examples));
    const userTurns = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as Array<{ turns: Array<{ speaker: string; utterance: string }> }>).flatMap((d) => d.turns.filter((t) => t.speaker === 'USER').map((t) => t.utterance.trim()));
    const routerTurns = new Set(userTurns(folds.router.file));
    expect([...routerTurns].some((text) => taught.has(text))).toBe(true);
    expect(userTurns(folds.tuning.file).filter((text) => !routerTurns.has(text) && taught.has(text))).toEqual([]);
  });

  it('splits by dialogue id alone: the same dialogue read twice lands once, in the same fold', async () => {
    const once = await writeTrainFolds(trainFile, foldDir('once'));
    const twice = await writeTrainFolds([trainFile, trainFile], foldDir('twice'));
    expect(twice.router.ids).toEqual(once.router.ids);
    expect(twice.tuning.ids).toEqual(once.tuning.ids);
  });

  it('refuses a dialogue id that names two different dialogues', async () => {
    const dialogues = JSON.parse(readFileSync(trainFile, 'utf8')) as Array<{ dialogue_id: string; services: string[] }>;
    const changed = fixtures.write('changed/dialogues_changed.json', [{ ...dialogues[0]!, services: [] }]);
    await expectDataError(writeTrainFolds([trainFile, changed], foldDir('out')), { file: changed, record: `dialogue ${dialogues[0]!.dialogue_id}`, field: 'dialogue_id' });
  });
});

describe('tune-tools: the choice', () => {
  const naive = { toolPresence: 1, factRetention: 1 };
  const row = (settings: ToolRoutingSettings, costPerConversation: number, toolPresence: number, factRetention = 1): GridRow => ({
    settings,
    costPerConversation,
    costRatio: costPerConversation,
    tokensPerCall: 1000,
    toolTokensPerCall: 500,
    toolPresence,
    presenceDelta: toolPresence - 1,
    presenceCi95: [toolPresence - 1.01, toolPresence - 0.99],
    factRetention,
  });
  const [a, b, c, d] = GRID;

  it("chooses the cheapest setting whose tool presence is within 2 points of naive's", () => {
    expect(chooseSetting(naive, [row(a!, 0.05, 0.999), row(b!, 0.03, 0.981), row(c!, 0.02, 0.97)])).toEqual({ settings: b, against: 'naive', floor: 1 - PRESENCE_TOLERANCE });
  });

  it('never chooses a setting that loses more than 2 points of fact retention, or one whose replay failed', () => {
    expect(chooseSetting(naive, [row(a!, 0.05, 0.999), row(b!, 0.03, 0.99, 0.97), { settings: c!, error: 'over budget' }])?.settings).toEqual(a);
  });

  it('falls back to the cheapest within 2 points of the best setting when none comes within 2 points of naive', () => {
    const choice = chooseSetting(naive, [row(a!, 0.06, 0.96), row(b!, 0.04, 0.945), row(c!, 0.03, 0.93), row(d!, 0.02, 0.9)]);
    expect(choice?.settings).toEqual(b);
    expect(choice?.against).toBe('best setting');
    expect(choice?.floor).toBeCloseTo(0.94, 9);
  });
});

describe('tune-tools: the recorded choice', () => {
  it('is what core uses by default, and production too', () => {
    expect(record.chosen?.settings).toEqual(TOOL_ROUTING_DEFAULTS);
    const { toolCandidates, toolConfidence, toolMatches, toolTokens } = production.defaults;
    expect({ candidates: toolCandidates, minConfidence: toolConfidence, lexical: toolMatches, maxTokens: toolTokens }).toEqual(TOOL_ROUTING_DEFAULTS);
  });

  it('was measured over the whole grid on the bundled train split as it is now', () => {
    expect(record.grid.map((r) => r.settings)).toEqual(GRID);
    const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
    expect(record.inputs).toEqual([
      { path: 'datasets/data/sgd/train/schema.json', sha256: sha256(defaults.trainSchema as string) },
      { path: 'datasets/data/sgd/train/dialogues_slice.json', sha256: sha256(trainFile) },
    ]);
  });

  it('follows from the recorded grid by the rule', () => {
    expect(chooseSetting(record.naive, record.grid)).toEqual(record.chosen);
  });
});
