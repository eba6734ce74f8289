import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, DataError } from '../core/errors.js';
import { z } from 'zod';
import { defineDataset } from '../core/harness/dataset.js';
import { inputFile, inputPathOptions, shownDefaults } from '../core/harness/options.js';
import type { Episode, Fact, FactProbe, Probe, Turn } from '../core/harness/episode.js';
import { factOf, leafValues, ORIGIN_OF_ROLE, type StatedText } from '../core/harness/facts.js';
import { normalizeForMatch } from '../core/harness/match.js';
import type { ChatMessage, ToolCall, ToolDefinition } from '../core/messages.js';
import type { LabelledExample } from '../core/routing/classifier.js';
import { collectEpisodes, InputRecord, loadOptionFields, readJsonFile, type PendingRecord } from './records.js';
import { sgdIntentProfile } from './sgd-intents.js';
import { intentLabel, readSchema, schemaTools, toolName, type SgdSchema } from './sgd-schema.js';

/** SGD's dialogue files in a folder. */
const DIALOGUE_FILE = /^dialogues_.*\.json$/;

/** An option naming dialogue files or folders of them, recorded file by file among a run's inputs. */
const paths = (description: string, bundled: string, shown: string) => {
  const field = z
    .union([z.string().min(1, 'must be a file or folder path'), z.array(z.string().min(1, 'must be a file or folder path')).min(1, 'must list at least one path')])
    .default(bundled)
    .describe(description);
  shownDefaults.add(field, { shown });
  inputPathOptions.add(field, { files: DIALOGUE_FILE });
  return field;
};

/** Options of the SGD loader: a schema file and the dialogues it describes, plus training data for the router. */
const sgdOptions = z
  .object({
    schema: inputFile("the replayed split's schema.json", fileURLToPath(new URL('./data/sgd/dev/schema.json', import.meta.url))),
    dialogues: paths('dialogue files, or folders whose dialogues_*.json are read in name order', fileURLToPath(new URL('./data/sgd/dev', import.meta.url)), 'the bundled dev/ folder'),
    trainSchema: inputFile("the training split's schema.json (its descriptions train the router too)", fileURLToPath(new URL('./data/sgd/train/schema.json', import.meta.url))),
    trainDialogues: paths('training dialogue files or folders: their user turns train the router; never the replayed ones', fileURLToPath(new URL('./data/sgd/train', import.meta.url)), 'the bundled train/ folder'),
    ...loadOptionFields,
  })
  .strict();

/** Options of the SGD loader. */
export type SgdOptions = z.output<typeof sgdOptions>;

const DATASET = 'sgd';
const SYSTEM_PROMPT =
  'You are a virtual assistant connected to many services (travel, banking, restaurants, media, ...). ' +
  'Find out what the user wants, ask for the details a service needs, call the service with exactly the values the user gave, and report its results briefly.';

/** A user's active intent on one service at one turn (`NONE` frames are left out). */
export interface ActiveIntent {
  service: string;
  intent: string;
}

interface Frame {
  service: string;
  record: Record<string, unknown>;
  field: string;
}

/**
 * Schema-Guided Dialogue (Google, CC BY-SA 4.0), original format: one episode per dialogue. User
 * turns become user messages (their active intents in `metadata.activeIntents`); a system turn
 * that calls a service becomes an assistant tool call (`<service>_<method>`, the call's parameters
 * as arguments), the tool message with its results, then the system's utterance. Every assistant
 * message is a turn probing routing (`<domain>/<intent>`); a call adds a tool probe (the called
 * tool must be sent) and fact probes (argument values said or returned earlier, in the form they
 * were said). The tools are every intent of every service of the schema file, one array shared by
 * all episodes. A call to a service or method the schema does not define, a missing field or a
 * bad file is a DataError naming the file, dialogue and field; `lenient` skips bad dialogues.
 */
export const sgd = defineDataset({
  name: DATASET,
  description: 'Schema-Guided Dialogue: multi-domain conversations with service calls, tool schemas and active intents (Google, CC BY-SA 4.0)',
  options: sgdOptions,
  async load(options) {
    const [dialogueFiles, trainFiles] = await Promise.all([dialoguePaths('dialogues', options.dialogues), options.trainDialogues === undefined ? [] : dialoguePaths('trainDialogues', options.trainDialogues)]);
    const replayed = new Set(dialogueFiles.map((file) => resolve(file)));
    const overlap = trainFiles.find((file) => replayed.has(resolve(file)));
    if (overlap) throw new ConfigError(`sgd: ${overlap} is both replayed (dialogues) and trains the router (trainDialogues)`, 'the router must never learn from the dialogues it is scored on: pass training files of another split');
    const schema = readSchema(options.schema, await readJsonFile(options.schema));
    const trainingSchema = options.trainSchema === undefined ? undefined : readSchema(options.trainSchema, await readJsonFile(options.trainSchema));
    const tools = schemaTools(schema);
    const pending: PendingRecord[] = [];
    // What each replayed dialogue says, to refuse training on it under another file name.
    const replayedTexts = new Map<string, string>();
    for (const file of dialogueFiles) {
      for (const [index, dialogue] of (await dialogueList(file)).entries()) {
        const at = new InputRecord(file, `dialogue ${dialogueLabel(dialogue, index)}`);
        replayedTexts.set(dialogueText(dialogue), `${file}: ${at.record}`);
        pending.push({ at, toEpisode: () => dialogueEpisode(at, dialogue, schema, tools) });
      }
    }
    const { episodes, skipped } = collectEpisodes(pending, options);
    const utterances: LabelledExample[] = [];
    for (const file of trainFiles) {
      const dialogues = await dialogueList(file);
      dialogues.forEach((dialogue, index) => {
        const text = dialogueText(dialogue);
        const replayed = text === '' ? undefined : replayedTexts.get(text);
        if (replayed !== undefined) {
          throw new ConfigError(
            `sgd: ${file}: dialogue ${dialogueLabel(dialogue, index)} (trainDialogues) is the replayed ${replayed}, turn for turn`,
            'the router must never learn from the dialogues it is scored on: pass training dialogues of another split',
          );
        }
      });
      utterances.push(...intentUtterances(file, dialogues, trainingSchema, schema));
    }
    if (trainFiles.length > 0 && utterances.length === 0) {
      throw new ConfigError(
        `sgd: trainDialogues (${trainFiles.join(', ')}) gave no training example: no USER turn informs an intent that the schema of the replayed dialogues has`,
        'pass SGD training dialogues (speaker "USER", frames with INFORM_INTENT actions) of services in the schema, and their schema as trainSchema, or leave trainDialogues out to route from the schema\'s descriptions',
      );
    }
    const intentProfile = sgdIntentProfile(schema, trainingSchema, utterances);
    return { name: DATASET, episodes: episodes.map((episode) => ({ ...episode, intentProfile })), skipped };
  },
});

/** The dialogue files an option names: files as given, folders as their `dialogues_*.json` in name order. */
export async function dialoguePaths(option: string, value: string | string[]): Promise<string[]> {
  const paths = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(paths) || paths.length === 0 || paths.some((path) => typeof path !== 'string' || path === '')) {
    throw new ConfigError(`option "${option}" must be a file or folder path, or a non-empty list of them, got ${JSON.stringify(value)}`, `pass ${option}: '<folder>' or ['<file>.json', ...]`);
  }
  const files: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      throw new DataError(path, 'file', 'path', 'must name a readable file or folder', error.code ?? String(error), `check the path given to the sgd option "${option}"`);
    });
    if (!info.isDirectory()) {
      files.push(path);
      continue;
    }
    const found = (await readdir(path)).filter((name) => DIALOGUE_FILE.test(name)).sort();
    if (found.length === 0) throw new DataError(path, 'folder', 'contents', 'must hold dialogues_*.json files (SGD\'s original layout)', undefined, `give the sgd option "${option}" a folder of dialogues_*.json files, or the files themselves`);
    files.push(...found.map((name) => join(path, name)));
  }
  return files;
}

/** The dialogues of one SGD dialogue file, unchecked beyond being an array. */
export async function dialogueList(file: string): Promise<unknown[]> {
  return new InputRecord(file, 'file').array(await readJsonFile(file), 'dialogues');
}

/** A dialogue's turns as text (speaker and utterance), the same for a copy under any name; '' for a malformed one. */
function dialogueText(value: unknown): string {
  const turns = (value as { turns?: unknown } | null)?.turns;
  if (!Array.isArray(turns)) return '';
  return turns.map((turn) => `${String((turn as { speaker?: unknown })?.speaker)}\u0000${String((turn as { utterance?: unknown })?.utterance)}`).join('\u0001');
}

/** The fields of SGD's dialogue files (the original release has exactly these). */
const DIALOGUE_KEYS = ['dialogue_id', 'services', 'turns'];
const TURN_KEYS = ['frames', 'speaker', 'utterance'];
const FRAME_KEYS = ['actions', 'service', 'slots', 'state', 'service_call', 'service_results'];

function dialogueLabel(value: unknown, index: number): string {
  const id = (value as { dialogue_id?: unknown } | null)?.dialogue_id;
  return typeof id === 'string' && id !== '' ? id : `#${index}`;
}

function frameList(at: InputRecord, turn: Record<string, unknown>, field: string, schema: SgdSchema): Frame[] {
  return at.array(turn.frames, `${field}.frames`).map((value, i) => {
    const where = `${field}.frames[${i}]`;
    const record = at.object(value, where);
    at.knownKeys(record, where, FRAME_KEYS);
    const service = at.string(record.service, `${where}.service`);
    if (!schema.has(service)) at.fail(`${where}.service`, `must be a service of the schema file (${[...schema.keys()].join(', ')})`, service);
    return { service, record, field: where };
  });
}

/** The frame's active intent, checked against its service; undefined for NONE. */
function activeIntent(at: InputRecord, frame: Frame, schema: SgdSchema): ActiveIntent | undefined {
  const state = at.object(frame.record.state, `${frame.field}.state`);
  const intent = at.string(state.active_intent, `${frame.field}.state.active_intent`);
  if (intent === 'NONE') return undefined;
  const service = schema.get(frame.service)!;
  if (!service.intents.has(intent)) at.fail(`${frame.field}.state.active_intent`, `must be NONE or an intent of ${service.name} (${[...service.intents.keys()].join(', ')})`, intent);
  return { service: frame.service, intent };
}

/** Surface forms of canonical values, from the frames' actions: "2019-03-08" -> "8th of March". */
function recordSurfaceForms(at: InputRecord, frame: Frame, forms: Map<string, Set<string>>): void {
  at.array(frame.record.actions ?? [], `${frame.field}.actions`).forEach((value, i) => {
    const action = at.object(value, `${frame.field}.actions[${i}]`);
    const canonical = at.array(action.canonical_values ?? [], `${frame.field}.actions[${i}].canonical_values`);
    const surface = at.array(action.values ?? [], `${frame.field}.actions[${i}].values`);
    canonical.forEach((c, j) => {
      if (typeof c === 'string' && typeof surface[j] === 'string') (forms.get(c) ?? forms.set(c, new Set()).get(c)!).add(surface[j] as string);
    });
  });
}

function dialogueEpisode(at: InputRecord, value: unknown, schema: SgdSchema, tools: ToolDefinition[]): Episode {
  const dialogue = at.object(value, 'dialogue');
  at.knownKeys(dialogue, '', DIALOGUE_KEYS);
  const id = at.nonEmptyString(dialogue.dialogue_id, 'dialogue_id');
  const services = at.array(dialogue.services, 'services').map((s, i) => at.string(s, `services[${i}]`));
  services.forEach((service, i) => schema.has(service) || at.fail(`services[${i}]`, `must be a service of the schema file (${[...schema.keys()].join(', ')})`, service));
  const messages: ChatMessage[] = [];
  const turns: Turn[] = [];
  const surfaceForms = new Map<string, Set<string>>();
  const earlier: StatedText[] = [];
  let latest = new Map<string, ActiveIntent>();
  let calls = 0;
  const push = (message: ChatMessage, probes?: Probe[]) => {
    if (probes) turns.push({ at: messages.length, probes });
    messages.push(message);
    const origin = ORIGIN_OF_ROLE[message.role];
    if (origin) earlier.push({ origin, text: normalizeForMatch([message.content ?? '', ...(message.tool_calls ?? []).map((c) => c.function.arguments)].join('\n')) });
  };
  at.array(dialogue.turns, 'turns').forEach((turnValue, index) => {
    const field = `turns[${index}]`;
    const turn = at.object(turnValue, field);
    at.knownKeys(turn, field, TURN_KEYS);
    const speaker = at.string(turn.speaker, `${field}.speaker`);
    const utterance = at.string(turn.utterance, `${field}.utterance`);
    const frames = frameList(at, turn, field, schema);
    if (speaker === 'USER') {
      const active = frames.flatMap((frame) => activeIntent(at, frame, schema) ?? []);
      latest = new Map(active.map((a) => [a.service, a]));
      frames.forEach((frame) => recordSurfaceForms(at, frame, surfaceForms));
      push({ role: 'user', content: utterance, ...(active.length > 0 ? { metadata: { activeIntents: active } } : {}) });
      return;
    }
    if (speaker !== 'SYSTEM') at.fail(`${field}.speaker`, 'must be "USER" or "SYSTEM"', speaker);
    const routing = (service: string): Probe[] => {
      const active = latest.get(service) ?? latest.values().next().value;
      return active ? [{ kind: 'intent', expected: intentLabel(active.service, active.intent) }] : [];
    };
    for (const frame of frames) {
      if (frame.record.service_call === undefined) continue;
      const call = serviceCall(at, frame, schema, `call_${++calls}`);
      const facts = callFacts(call.function.arguments, earlier, surfaceForms);
      const method = call.function.name.slice(frame.service.length + 1);
      const probes: Probe[] = [{ kind: 'intent', expected: intentLabel(frame.service, method) }, { kind: 'tool', name: call.function.name }, ...(facts ? [facts] : [])];
      push({ role: 'assistant', content: null, tool_calls: [call] }, probes);
      const results = at.array(frame.record.service_results, `${frame.field}.service_results`);
      push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify(results) });
    }
    frames.forEach((frame) => recordSurfaceForms(at, frame, surfaceForms));
    push({ role: 'assistant', content: utterance }, routing(frames[0]?.service ?? ''));
  });
  return {
    id: `sgd/${id}`,
    dataset: DATASET,
    userId: `sgd-user-${id}`,
    systemPrompt: SYSTEM_PROMPT,
    messages,
    tools,
    knowledge: [],
    turns,
    metadata: { services },
  };
}

function serviceCall(at: InputRecord, frame: Frame, schema: SgdSchema, id: string): ToolCall {
  const field = `${frame.field}.service_call`;
  const call = at.object(frame.record.service_call, field);
  const method = at.string(call.method, `${field}.method`);
  const service = schema.get(frame.service)!;
  const intent = service.intents.get(method) ?? at.fail(`${field}.method`, `must be an intent of ${service.name} (${[...service.intents.keys()].join(', ')})`, method);
  const parameters = at.object(call.parameters, `${field}.parameters`);
  // Each argument must be one the schema's tool takes: the probes score the tool and its arguments.
  const takes = [...intent.required, ...Object.keys(intent.optional)];
  for (const [slot, slotValue] of Object.entries(parameters)) {
    if (!takes.includes(slot)) at.fail(`${field}.parameters.${slot}`, `must be a slot ${service.name}'s ${intent.name} takes (${takes.join(', ')})`);
    const value = at.string(slotValue, `${field}.parameters.${slot}`);
    const allowed = service.slots.get(slot)!.values;
    if (allowed.length > 0 && !allowed.includes(value)) at.fail(`${field}.parameters.${slot}`, `must be one of the slot's possible values (${allowed.join(', ')})`, value);
  }
  // A required slot may be missing: SGD's own training data has ReserveHotel calls without their location.
  return { id, type: 'function', function: { name: toolName(service.name, intent.name), arguments: JSON.stringify(parameters) } };
}

/**
 * The call's argument values that were said or returned before it, each in a form that appeared:
 * the value itself, else a surface form of it ("8th of March" for 2019-03-08). Values the assistant
 * could only have inferred are not probed.
 */
function callFacts(args: string, earlier: readonly StatedText[], surfaceForms: ReadonlyMap<string, ReadonlySet<string>>): FactProbe | undefined {
  const facts = new Map<string, Fact>();
  for (const { key, value } of leafValues(JSON.parse(args))) {
    const forms = [value, ...[...(surfaceForms.get(value) ?? [])].filter((form) => form.trim().length > 2)];
    const fact = forms.map((form) => factOf(key, form, '', earlier)).find((found) => found !== undefined);
    if (fact && !facts.has(fact.value)) facts.set(fact.value, fact);
  }
  return facts.size > 0 ? { kind: 'fact', facts: [...facts.values()] } : undefined;
}

/**
 * Training utterances: each user turn of the training dialogues that states an intent
 * (an INFORM_INTENT action), labelled with its domain and intent when the replayed schema has that
 * label. Malformed training turns are skipped: they only train the router.
 */
function intentUtterances(file: string, dialogues: readonly unknown[], trainingSchema: SgdSchema | undefined, schema: SgdSchema): LabelledExample[] {
  const labels = new Set([...schema.values()].flatMap((service) => [...service.intents.keys()].map((intent) => intentLabel(service.name, intent))));
  const examples: LabelledExample[] = [];
  dialogues.forEach((value, index) => {
    const at = new InputRecord(file, `dialogue ${dialogueLabel(value, index)}`);
    const turns = at.array(at.object(value, 'dialogue').turns, 'turns');
    for (const turnValue of turns) {
      const turn = turnValue as { speaker?: unknown; utterance?: unknown; frames?: unknown };
      if (turn?.speaker !== 'USER' || typeof turn.utterance !== 'string' || !Array.isArray(turn.frames)) continue;
      for (const frame of turn.frames as Array<{ service?: unknown; actions?: unknown; state?: { active_intent?: unknown } }>) {
        const states = Array.isArray(frame?.actions) && (frame.actions as Array<{ act?: unknown }>).some((action) => action?.act === 'INFORM_INTENT');
        const intent = frame?.state?.active_intent;
        if (!states || typeof frame.service !== 'string' || typeof intent !== 'string') continue;
        if (trainingSchema && !trainingSchema.get(frame.service)?.intents.has(intent)) continue;
        const label = intentLabel(frame.service, intent);
        if (labels.has(label)) examples.push({ text: turn.utterance, label });
      }
    }
  });
  return examples;
}
