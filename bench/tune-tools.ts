// Chooses the tool router's settings on SGD's train split, never on the dialogues a replay reports:
//   npm run tune:tools -- [--schema <schema.json>] [--dialogues <file or folder> ...] [--record <file.json>] [-c <threads>]
// (default: the bundled train split). The train dialogues are split by a hash of their id into a
// router fold, whose user turns train the router, and a tuning fold, which is replayed: naive once
// and production at every setting of GRID. As on the reported split, the router learns nothing of
// some domains: the router fold loses the frames of half the domains (by a hash of their names).
// The cheapest setting whose tool presence is within 2 points of naive's is chosen. Prints the grid as a Markdown table and the chosen setting;
// --record writes both with the inputs' hashes (bench/tuning/sgd-tool-routing.json is the record
// behind TOOL_ROUTING_DEFAULTS).
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, CtxbenchError, DataError, TECHCORP_SCENARIO, type Aggregate, type FidelityComparison, type ToolRoutingSettings, type TurnRow } from '../core/index.js';
import { datasets } from '../datasets/index.js';
import { dialogueList, dialoguePaths } from '../datasets/sgd.js';
import { domainOf } from '../datasets/sgd-schema.js';
import { strategies } from '../strategies/index.js';
import { writeFileAtomic } from '../reports/json.js';
import { machineInfo, gitCommit } from './runner/environment.js';
import { runBenchmark } from './runner/run.js';
import { missionChecks, scoresFromRows } from './runner/verdict.js';

/** The bundled train split: the default input. */
const BUNDLED_TRAIN = fileURLToPath(new URL('../datasets/data/sgd/train', import.meta.url));

/** Share of the train dialogues (by a hash of their id) replayed for tuning; the rest train the router. */
export const TUNING_SHARE = 0.5;

/** Most tool presence may fall below naive's for a setting to be chosen. */
export const PRESENCE_TOLERANCE = 0.02;

/** The values tried for each knob; the grid is every combination. */
export const GRID_VALUES = {
  candidates: [1, 2],
  minConfidence: [0.2, 0.3, 0.5],
  lexical: [0, 1, 2, 4],
  maxTokens: [3000, 4000, 5000],
} as const satisfies { [K in keyof ToolRoutingSettings]: readonly number[] };

/** Every combination of {@link GRID_VALUES}, in a fixed order. */
export const GRID: readonly ToolRoutingSettings[] = GRID_VALUES.candidates.flatMap((candidates) =>
  GRID_VALUES.minConfidence.flatMap((minConfidence) =>
    GRID_VALUES.lexical.flatMap((lexical) => GRID_VALUES.maxTokens.map((maxTokens) => ({ candidates, minConfidence, lexical, maxTokens }))),
  ),
);

/**
 * Share of the train split's domains whose dialogues never train the router. On the reported
 * split the router meets domains it has no utterance of (in the bundled data, 8 of the 16 domains
 * the dev dialogues call, Restaurants and RentalCars among them, have none in the train slice): the
 * tuning fold has to meet them too, or it rewards settings that only work for services the router
 * was taught (a split by dialogue alone chose no lexical matching).
 */
export const UNSEEN_DOMAIN_SHARE = 0.5;

const hashOf = (text: string) => createHash('sha256').update(text).digest();

/** Which fold a train dialogue falls in: a hash of its id, so the split never depends on file order or on which files are given. */
export function foldOf(dialogueId: string): 'router' | 'tuning' {
  return hashOf(dialogueId).readUInt32BE(0) / 2 ** 32 < TUNING_SHARE ? 'tuning' : 'router';
}

/** The domains the router is taught nothing of: the first {@link UNSEEN_DOMAIN_SHARE} of them in the order of their hashes. */
export function unseenDomains(domains: Iterable<string>): string[] {
  const ranked = [...new Set(domains)].sort((a, b) => Buffer.compare(hashOf(a), hashOf(b)));
  return ranked.slice(0, Math.floor(ranked.length * UNSEEN_DOMAIN_SHARE)).sort();
}

/** The train dialogues split into folds; written to disk as SGD dialogue files. */
export interface TrainFolds {
  /** Dialogues whose user turns train the router (their fold is `router`), without the frames of unseen domains. */
  router: { file: string; ids: string[] };
  /** Dialogues replayed and scored (their fold is `tuning`), unchanged. */
  tuning: { file: string; ids: string[] };
  unseenDomains: string[];
  /** Frames of unseen domains taken out of the router fold's turns: the router learns no utterance under their labels. */
  withheldFrames: number;
}

/** A train dialogue as the split sees it. */
interface TrainDialogue {
  id: string;
  domains: string[];
  dialogue: Record<string, unknown>;
}

/** The dialogue without the services and frames of `unseen` domains. */
function withoutDomains(dialogue: Record<string, unknown>, unseen: ReadonlySet<string>): { dialogue: Record<string, unknown>; removed: number } {
  let removed = 0;
  const seen = (service: unknown) => typeof service !== 'string' || !unseen.has(domainOf(service));
  const turns = Array.isArray(dialogue.turns)
    ? dialogue.turns.map((turn: { frames?: unknown }) => {
        if (!Array.isArray(turn?.frames)) return turn;
        const frames = turn.frames.filter((frame: { service?: unknown }) => seen(frame?.service));
        removed += turn.frames.length - frames.length;
        return { ...turn, frames };
      })
    : dialogue.turns;
  return { dialogue: { ...dialogue, services: (dialogue.services as string[]).filter(seen), turns }, removed };
}

/**
 * Reads the dialogue files or folders, drops repeats of a dialogue id (the bundled train slice is
 * part of the shared copy's files), splits them by {@link foldOf} and writes each fold to `dir` as
 * an SGD dialogue file, in the order read; the router fold loses the frames of the
 * {@link unseenDomains}. A repeated id whose dialogue differs is a DataError: its fold would be
 * ambiguous.
 */
export async function writeTrainFolds(paths: string | string[], dir: string): Promise<TrainFolds> {
  const seen = new Map<string, string>();
  const dialogues: TrainDialogue[] = [];
  for (const file of await dialoguePaths('dialogues', paths)) {
    for (const [index, value] of (await dialogueList(file)).entries()) {
      const dialogue = (value ?? {}) as Record<string, unknown>;
      const { dialogue_id: id, services } = dialogue;
      const at = `dialogue ${typeof id === 'string' && id !== '' ? id : `#${index}`}`;
      if (typeof id !== 'string' || id === '') throw new DataError(file, at, 'dialogue_id', 'must be a non-empty string (it decides the fold)', id);
      if (!Array.isArray(services) || services.some((service) => typeof service !== 'string')) throw new DataError(file, at, 'services', 'must be an array of service names', services);
      const text = JSON.stringify(dialogue);
      const earlier = seen.get(id);
      if (earlier !== undefined) {
        if (earlier !== text) throw new DataError(file, at, 'dialogue_id', 'must not name a different dialogue than the same id in an earlier file');
        continue;
      }
      seen.set(id, text);
      dialogues.push({ id, domains: (services as string[]).map(domainOf), dialogue });
    }
  }
  const unseen = unseenDomains(dialogues.flatMap((d) => d.domains));
  const tuning = dialogues.filter((d) => foldOf(d.id) === 'tuning');
  const router = dialogues.filter((d) => foldOf(d.id) === 'router').map((d) => ({ ...d, ...withoutDomains(d.dialogue, new Set(unseen)) }));
  if (router.length === 0 || tuning.length === 0) throw new ConfigError(`the train dialogues gave an empty fold (${router.length} router, ${tuning.length} tuning)`, 'pass more train dialogues');
  const write = (fold: 'router' | 'tuning', members: readonly TrainDialogue[]) => {
    const file = join(dir, `dialogues_${fold}.json`);
    writeFileSync(file, JSON.stringify(members.map((d) => d.dialogue)));
    return { file, ids: members.map((d) => d.id) };
  };
  return { router: write('router', router), tuning: write('tuning', tuning), unseenDomains: unseen, withheldFrames: router.reduce((n, d) => n + d.removed, 0) };
}

/** What one strategy measured on the tuning fold. */
export interface GridRow {
  /** The production setting; absent for naive. */
  settings?: ToolRoutingSettings;
  costPerConversation: number;
  costRatio: number;
  tokensPerCall: number;
  toolTokensPerCall: number;
  toolPresence: number;
  /** Production - naive, paired by dialogue, with its 95% bootstrap interval. */
  presenceDelta: number;
  presenceCi95: [number, number];
  factRetention: number;
}

/** A setting whose replay failed (a context over the assembler's budget, say): data, never chosen. */
export interface ErroredRow {
  settings: ToolRoutingSettings;
  error: string;
}

export type GridEntry = GridRow | ErroredRow;

/** The chosen setting and what its tool presence was held to. */
export interface Choice {
  settings: ToolRoutingSettings;
  /** `naive` when some setting came within the tolerance of naive's tool presence; else `best setting`, the highest any setting reached. */
  against: 'naive' | 'best setting';
  /** The lowest tool presence accepted: the reference's minus the tolerance. */
  floor: number;
}

const measured = (entry: GridEntry): entry is GridRow & { settings: ToolRoutingSettings } => !('error' in entry) && entry.settings !== undefined;

/**
 * The cheapest setting (fewer tokens a call, then grid order, break ties) whose tool presence is
 * within {@link PRESENCE_TOLERANCE} of naive's and whose fact retention is too. When no setting
 * comes that close, the cheapest within the tolerance of the best tool presence any setting
 * reached: sending more tools always helps a little, so "the highest" alone would choose the
 * grid's most generous corner. Undefined when no setting was measured.
 */
export function chooseSetting(naive: Pick<GridRow, 'toolPresence' | 'factRetention'>, entries: readonly GridEntry[]): Choice | undefined {
  const rows = entries.filter(measured).filter((row) => row.factRetention >= naive.factRetention - PRESENCE_TOLERANCE - 1e-9);
  if (rows.length === 0) return undefined;
  const cheapest = (floor: number) =>
    rows
      .filter((row) => row.toolPresence >= floor - 1e-9)
      .reduce<(typeof rows)[number] | undefined>((best, row) => (!best || row.costPerConversation < best.costPerConversation || (row.costPerConversation === best.costPerConversation && row.tokensPerCall < best.tokensPerCall) ? row : best), undefined);
  const againstNaive = cheapest(naive.toolPresence - PRESENCE_TOLERANCE);
  if (againstNaive) return { settings: againstNaive.settings, against: 'naive', floor: naive.toolPresence - PRESENCE_TOLERANCE };
  const floor = Math.max(...rows.map((row) => row.toolPresence)) - PRESENCE_TOLERANCE;
  return { settings: cheapest(floor)!.settings, against: 'best setting', floor };
}

/** A grid row from production's aggregate, paired with naive's by dialogue. */
function gridRow(settings: ToolRoutingSettings | undefined, naive: { aggregate: Aggregate; rows: TurnRow[] }, replayed: { aggregate: Aggregate; rows: TurnRow[] }, seed: number): GridRow {
  const [check] = missionChecks([naive.aggregate, replayed.aggregate], scoresFromRows([...naive.rows, ...replayed.rows]), TECHCORP_SCENARIO, seed);
  const presence = check?.fidelity.find((f) => f.metric === 'toolPresence') ?? ({ delta: 0, ci95: [0, 0] } as Pick<FidelityComparison, 'delta' | 'ci95'>);
  const a = replayed.aggregate;
  return {
    ...(settings ? { settings } : {}),
    costPerConversation: a.costPerConversation,
    costRatio: check?.costRatio ?? 1,
    tokensPerCall: a.inputTokens.mean,
    toolTokensPerCall: a.sections.tools ?? 0,
    toolPresence: a.metrics.toolPresence?.mean ?? 0,
    presenceDelta: presence.delta,
    presenceCi95: presence.ci95,
    factRetention: a.metrics.factRetention?.mean ?? 0,
  };
}

/** Options of a tuning run. */
export interface TuneOptions {
  /** The train split's schema.json. @default the bundled train schema */
  schema?: string;
  /** Train dialogue files or folders. @default the bundled train folder */
  dialogues?: string | string[];
  /** @default 1 */
  concurrency?: number;
  /** @default GRID */
  grid?: readonly ToolRoutingSettings[];
  /** Called after each replay with what it measured. */
  onRow?: (row: GridEntry) => void;
}

/** What a tuning run measured and chose, with its inputs. */
export interface TuneRecord {
  command: string;
  gitCommit: string | null;
  machine: ReturnType<typeof machineInfo>;
  durationMs: number;
  inputs: Array<{ path: string; sha256: string }>;
  folds: { router: { dialogues: number; sha256: string }; tuning: { dialogues: number; turns: number; sha256: string }; unseenDomains: string[]; withheldFrames: number };
  tolerance: number;
  naive: GridRow;
  grid: GridEntry[];
  chosen: Choice | null;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const shownPath = (file: string) => (relative(process.cwd(), file).startsWith('..') ? resolve(file) : relative(process.cwd(), file));

/** Replays the tuning fold through naive and through production at every setting, and chooses one. */
export async function tune(options: TuneOptions = {}): Promise<TuneRecord> {
  const started = Date.now();
  const schema = options.schema ?? join(BUNDLED_TRAIN, 'schema.json');
  const sources = options.dialogues ?? BUNDLED_TRAIN;
  const dir = mkdtempSync(join(tmpdir(), 'ctxbench-tune-tools-'));
  try {
    const folds = await writeTrainFolds(sources, dir);
    const dataset = { name: 'sgd', options: { schema, dialogues: folds.tuning.file, trainSchema: schema, trainDialogues: folds.router.file } };
    const replay = async (strategy: { name: string; options?: Record<string, unknown> }) => {
      const rows: TurnRow[] = [];
      const result = await runBenchmark({ datasets: [dataset], strategies: [strategy], registries: { datasets, strategies }, concurrency: options.concurrency ?? 1, onTurns: (batch) => rows.push(...batch) });
      return { aggregate: result.aggregates[0]!, rows, turns: result.datasets[0]!.turns };
    };
    const naive = await replay({ name: 'naive' });
    const naiveRow = gridRow(undefined, naive, naive, 1);
    options.onRow?.(naiveRow);
    const grid: GridEntry[] = [];
    for (const settings of options.grid ?? GRID) {
      const production = await replay({
        name: 'production',
        options: { toolCandidates: settings.candidates, toolConfidence: settings.minConfidence, toolMatches: settings.lexical, toolTokens: settings.maxTokens },
      }).catch((error: unknown) => {
        if (error instanceof CtxbenchError) return { error: error.message };
        throw error;
      });
      const row = 'error' in production ? { settings, error: production.error } : gridRow(settings, naive, production, 1);
      grid.push(row);
      options.onRow?.(row);
    }
    const inputs = (await dialoguePaths('dialogues', sources)).map((file) => ({ path: shownPath(file), sha256: sha256(file) }));
    return {
      command: 'npm run tune:tools',
      gitCommit: gitCommit(),
      machine: machineInfo(),
      durationMs: Date.now() - started,
      inputs: [{ path: shownPath(schema), sha256: sha256(schema) }, ...inputs],
      folds: {
        router: { dialogues: folds.router.ids.length, sha256: sha256(folds.router.file) },
        tuning: { dialogues: folds.tuning.ids.length, turns: naive.turns, sha256: sha256(folds.tuning.file) },
        unseenDomains: folds.unseenDomains,
        withheldFrames: folds.withheldFrames,
      },
      tolerance: PRESENCE_TOLERANCE,
      naive: naiveRow,
      grid,
      chosen: chooseSetting(naiveRow, grid) ?? null,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const setting = (s: ToolRoutingSettings) => `candidates ${s.candidates}, minConfidence ${s.minConfidence}, lexical ${s.lexical}, maxTokens ${s.maxTokens}`;

/** The grid as a Markdown table, naive first, the chosen setting in bold. */
export function markdownGrid(record: Pick<TuneRecord, 'naive' | 'grid' | 'chosen'>): string {
  const header = ['setting', 'tokens/call', 'tool tokens', '$/conversation', 'cost vs naive', 'tool presence', 'vs naive (95% CI)', 'fact retention'];
  const cells = (name: string, r: GridRow) => [
    name,
    Math.round(r.tokensPerCall).toLocaleString('en-US'),
    Math.round(r.toolTokensPerCall).toLocaleString('en-US'),
    `$${r.costPerConversation.toFixed(4)}`,
    r.costRatio.toFixed(3),
    r.toolPresence.toFixed(3),
    `${(100 * r.presenceDelta).toFixed(1)} pts [${(100 * r.presenceCi95[0]).toFixed(1)}, ${(100 * r.presenceCi95[1]).toFixed(1)}]`,
    r.factRetention.toFixed(3),
  ];
  const chosen = record.chosen ? setting(record.chosen.settings) : undefined;
  const lines = [
    cells('naive (every tool)', record.naive),
    ...record.grid.map((entry) => {
      const name = setting(entry.settings!) === chosen ? `**${chosen}**` : setting(entry.settings!);
      return 'error' in entry ? [name, `errored: ${entry.error.replaceAll('|', '\\|')}`, ...header.slice(2).map(() => '')] : cells(name, entry);
    }),
  ];
  return [header, header.map((_, i) => (i === 0 ? '---' : '---:')), ...lines].map((row) => `| ${row.join(' | ')} |`).join('\n');
}

/** One line saying what was chosen and against what. */
export function choiceLine(record: Pick<TuneRecord, 'chosen' | 'tolerance'>): string {
  const points = `${record.tolerance * 100} pts`;
  if (!record.chosen) return 'no setting could be replayed';
  const { settings, against, floor } = record.chosen;
  return against === 'naive'
    ? `chosen (the cheapest with tool presence within ${points} of naive's, >= ${floor.toFixed(3)}): ${setting(settings)}`
    : `no setting comes within ${points} of naive's tool presence; chosen (the cheapest within ${points} of the best setting's, >= ${floor.toFixed(3)}): ${setting(settings)}`;
}

/** Runs the command line; returns what it prints. */
export async function main(args: readonly string[]): Promise<string> {
  const { values } = parseArgs({
    args: [...args],
    options: { schema: { type: 'string' }, dialogues: { type: 'string', multiple: true }, record: { type: 'string' }, concurrency: { type: 'string', short: 'c', default: '1' } },
    strict: true,
  });
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new ConfigError(`--concurrency must be a whole number of at least 1, got "${values.concurrency}"`, 'pass -c 1 (one thread) or -c 2');
  const record = await tune({
    ...(values.schema ? { schema: values.schema } : {}),
    ...(values.dialogues ? { dialogues: values.dialogues } : {}),
    concurrency,
    onRow: (row) => process.stderr.write(`${row.settings ? setting(row.settings) : 'naive'}: ${'error' in row ? row.error : `$${row.costPerConversation.toFixed(4)}, tool presence ${row.toolPresence.toFixed(3)}`}\n`),
  });
  if (values.record) writeFileAtomic(values.record, `${JSON.stringify(record, null, 2)}\n`);
  const f = record.folds;
  return [
    `SGD train split: ${f.router.dialogues} dialogues train the router, ${f.tuning.dialogues} (${f.tuning.turns.toLocaleString('en-US')} turns) are replayed; the router learns no utterance of ${f.unseenDomains.join(', ')} (${f.withheldFrames.toLocaleString('en-US')} frames taken out); ${record.grid.length} settings in ${(record.durationMs / 1000).toFixed(0)} s`,
    '',
    markdownGrid(record),
    '',
    choiceLine(record),
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (text) => console.log(text),
    (error: unknown) => {
      console.error(`tune-tools: ${(error as Error).message}`);
      process.exitCode = 1;
    },
  );
}
