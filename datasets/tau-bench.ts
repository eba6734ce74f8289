import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { defineDataset } from '../core/harness/dataset.js';
import { inputFile } from '../core/harness/options.js';
import type { CustomerRecord, Episode, KnowledgeDocument, Probe, Turn } from '../core/harness/episode.js';
import type { ChatMessage, ToolDefinition } from '../core/messages.js';
import { availableFromStart, checkToolCalls, parseChatMessages, parseToolDefinitions, splitInstructions, turnsFromMessages } from './chat-messages.js';
import { airlineSnapshot } from './customer-snapshots.js';
import { airlineIntentProfile, airlineSectionIntents } from './tau-bench-intents.js';
import { collectEpisodes, loadOptionFields, InputRecord, readJsonFile, readTextFile, type PendingRecord } from './records.js';

const DATASET = 'tau-bench-airline';

/**
 * The policy sections that govern each action that changes the database: the section of the
 * action itself, and the preamble (explicit confirmation before any update, transfer rules).
 * Read-only tools (lookups, searches, calculate, think) are governed by no section.
 */
const GOVERNING_SECTIONS: Readonly<Record<string, readonly string[]>> = {
  book_reservation: ['policy#airline-agent-policy', 'policy#book-flight'],
  update_reservation_flights: ['policy#airline-agent-policy', 'policy#modify-flight'],
  update_reservation_baggages: ['policy#airline-agent-policy', 'policy#modify-flight'],
  update_reservation_passengers: ['policy#airline-agent-policy', 'policy#modify-flight'],
  cancel_reservation: ['policy#airline-agent-policy', 'policy#cancel-flight'],
  send_certificate: ['policy#airline-agent-policy', 'policy#refund'],
  transfer_to_human_agents: ['policy#airline-agent-policy'],
};

/** Whether two files hold the same bytes (read only when their sizes agree). */
async function sameBytes(a: string, b: string): Promise<boolean> {
  const [sizeA, sizeB] = await Promise.all([stat(a), stat(b)]).then((infos) => infos.map((info) => info.size));
  if (sizeA !== sizeB) return false;
  const [left, right] = await Promise.all([readFile(a), readFile(b)]);
  return left.equals(right);
}

/** The heading a policy section id comes from: policy#book-flight -> "Book flight". */
const headingOf = (id: string) => {
  const words = id.replace(/^policy#/, '').replace(/-/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
};

const bundled = (name: string) => fileURLToPath(new URL(`./data/tau-bench-airline/${name}`, import.meta.url));

/** Paths of a tau-bench airline recording: trajectories plus the airline database and policy they ran against. */
const tauBenchOptions = z
  .object({
    trajectories: inputFile('JSON array of { task_id, reward, info: { task: { user_id } }, traj, trial }', bundled('gpt-4o-airline.json')),
    users: inputFile('JSON object of user records keyed by user id, each listing its reservations', bundled('users.json')),
    reservations: inputFile('JSON object of reservation records keyed by reservation id', bundled('reservations.json')),
    policy: inputFile('the agent policy in markdown: the system prompt where a trajectory records none, and the knowledge, one document per section', bundled('policy.md')),
    tools: inputFile("the agent's tool definitions, a JSON array in OpenAI function format (see the bundled SOURCE.md)", bundled('tools.json')),
    split: z
      .enum(['test', 'dev', 'all'])
      .optional()
      .describe('which trajectories to replay: dev = tasks whose id is a multiple of 5 (settings are chosen on them), test = the others (reported), all; default test for the bundled file (or a copy of it), all for your own'),
    ...loadOptionFields,
  })
  .strict();

/** Options of the tau-bench airline loader. */
export type TauBenchOptions = z.output<typeof tauBenchOptions>;

/** The policy as knowledge: one document per markdown section, heading included, so no text is lost. */
function policySections(markdown: string): KnowledgeDocument[] {
  const sections: { title: string; lines: string[] }[] = [];
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    const heading = inFence ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading || sections.length === 0) sections.push({ title: heading ? heading[1]! : 'Preamble', lines: [] });
    sections.at(-1)!.lines.push(line);
  }
  const used = new Map<string, number>();
  return sections
    .map(({ title, lines }) => ({ title, text: lines.join('\n').trim() }))
    .filter(({ text }) => text !== '')
    .map(({ title, text }) => {
      const base = slugify(title);
      const count = (used.get(base) ?? 0) + 1;
      used.set(base, count);
      const id = `policy#${count === 1 ? base : `${base}-${count}`}`;
      const intent = SECTION_INTENTS.get(id);
      return { id, title, text, ...(intent ? { metadata: { intent } } : {}) };
    });
}

const SECTION_INTENTS = airlineSectionIntents();

function slugify(title: string): string {
  return title.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-+|-+$/g, '') || 'section';
}

/** What every trajectory of a recording shares. */
interface TrajectorySource {
  knowledge: KnowledgeDocument[];
  database: AirlineDatabase;
  policy: string;
  tools: ToolDefinition[];
  /** The tools' names, for checking each recorded call. */
  toolNames: ReadonlySet<string>;
}

/** The recorded airline database: user records and reservations by id. */
interface AirlineDatabase {
  usersFile: string;
  reservationsFile: string;
  users: Record<string, unknown>;
  reservations: Record<string, unknown>;
}

/** The customer of a trajectory: the user record, and the reservations it lists (all owned by that user). */
function customerOf(userId: string, database: AirlineDatabase): CustomerRecord {
  const user = new InputRecord(database.usersFile, `user ${userId}`);
  const profile = user.object(database.users[userId], 'record');
  const ids = user.array(profile.reservations, 'reservations').map((id, index) => user.string(id, `reservations[${index}]`));
  const records: Record<string, unknown> = {};
  for (const [index, id] of ids.entries()) {
    if (!Object.hasOwn(database.reservations, id)) user.fail(`reservations[${index}]`, `must be a reservation id in ${database.reservationsFile}`, id);
    const reservation = new InputRecord(database.reservationsFile, `reservation ${id}`);
    const record = reservation.object(database.reservations[id], 'record');
    if (record.user_id !== undefined && record.user_id !== userId) {
      reservation.fail('user_id', `must be ${userId}, the user that lists it in ${database.usersFile}`, record.user_id);
    }
    records[id] = record;
  }
  return { profile, records, snapshot: airlineSnapshot(profile, records) };
}

/** Whether a trajectory belongs to the split: dev holds the tasks whose id is a multiple of {@link DEV_TASK_STRIDE}. */
function inSplit(value: unknown, split: 'test' | 'dev' | 'all'): boolean {
  if (split === 'all') return true;
  const task = (value as { task_id?: unknown } | null)?.task_id;
  // A record without a task id fails validation later, in either split.
  if (!Number.isInteger(task)) return true;
  return ((task as number) % DEV_TASK_STRIDE === 0) === (split === 'dev');
}

/** Every fifth task (ids 0, 5, 10, ...) is development data: production's settings are chosen on it, never reported. */
export const DEV_TASK_STRIDE = 5;

function trajectoryLabel(index: number, source: unknown): string {
  const { task_id: task, trial } = (source ?? {}) as Record<string, unknown>;
  return Number.isInteger(task) && Number.isInteger(trial) ? `trajectory ${index} (task ${task}, trial ${trial})` : `trajectory ${index}`;
}

/**
 * Adds to each turn whose recorded action is a tool call a tool probe (the tool called must be
 * among the tools sent), and, where the action changes the database, the policy sections that govern it.
 */
function withActionProbes(turns: Turn[], messages: readonly ChatMessage[], knowledge: readonly KnowledgeDocument[]): Turn[] {
  const known = new Set(knowledge.map((doc) => doc.id));
  return turns.map((turn) => {
    const calls = messages[turn.at]?.tool_calls ?? [];
    const governing = new Set(calls.flatMap((call) => GOVERNING_SECTIONS[call.function.name] ?? []).filter((id) => known.has(id)));
    const probes: Probe[] = [
      ...(calls[0] ? [{ kind: 'tool' as const, name: calls[0].function.name }] : []),
      ...(governing.size === 0 ? [] : [{ kind: 'policy' as const, documentIds: [...governing] }]),
    ];
    return probes.length === 0 ? turn : { ...turn, probes: [...turn.probes, ...probes] };
  });
}

function toEpisode(at: InputRecord, value: unknown, source: TrajectorySource): Episode {
  const { knowledge, database, policy, tools } = source;
  const trajectory = at.object(value, 'trajectory');
  const taskId = at.integer(trajectory.task_id, 'task_id');
  const trial = at.integer(trajectory.trial, 'trial');
  const reward = at.number(trajectory.reward, 'reward');
  const task = at.object(at.object(trajectory.info, 'info').task, 'info.task');
  const userId = at.nonEmptyString(task.user_id, 'info.task.user_id');
  if (!Object.hasOwn(database.users, userId)) at.fail('info.task.user_id', `must be a user id in ${database.usersFile}`, userId);
  const messages = parseChatMessages(trajectory.traj, at, 'traj');
  const id = `tau-airline/task-${taskId}/trial-${trial}`;
  // A call's arguments must be JSON, its id answered, its tool one the agent had: the probes are built from them.
  checkToolCalls(messages, at, 'traj', id);
  messages.forEach((message, index) =>
    (message.tool_calls ?? []).forEach((call, callIndex) => {
      if (!source.toolNames.has(call.function.name)) {
        at.fail(`traj[${index}].tool_calls[${callIndex}].function.name`, `must be a tool of the tools file (${[...source.toolNames].join(', ')})`, call.function.name, 'add its definition to the tools file, or correct the name');
      }
    }),
  );
  const { instructions, conversation } = splitInstructions(messages);
  const customer = customerOf(userId, database);
  return {
    id,
    dataset: DATASET,
    userId,
    // The recorded agent's own system prompt (the policy), as it was.
    systemPrompt: instructions || policy,
    messages: conversation,
    tools,
    knowledge,
    customer,
    turns: withActionProbes(turnsFromMessages(conversation, availableFromStart(customer, knowledge)), conversation, knowledge),
    metadata: { taskId, trial, reward },
  };
}

/** tau-bench airline: recorded agent trajectories replayed against the airline policy and database. */
export const tauBenchAirline = defineDataset({
  name: DATASET,
  description: 'tau-bench airline: 200 recorded GPT-4o customer-service trajectories with tool calls, the airline policy and its user/reservation database (MIT, Sierra)',
  options: tauBenchOptions,
  async load(options) {
    const [trajectories, users, reservations, policy, toolFile] = await Promise.all([
      readJsonFile(options.trajectories),
      readJsonFile(options.users),
      readJsonFile(options.reservations),
      readTextFile(options.policy),
      readJsonFile(options.tools),
    ]);
    const database: AirlineDatabase = {
      usersFile: options.users,
      reservationsFile: options.reservations,
      users: new InputRecord(options.users, 'file').object(users, 'top level'),
      reservations: new InputRecord(options.reservations, 'file').object(reservations, 'top level'),
    };
    const knowledge = policySections(policy);
    const tools = parseToolDefinitions(toolFile, new InputRecord(options.tools, 'file'), 'top level');
    // A policy probe names the sections that govern a tool; a policy without them would probe less, unseen.
    const sections = new Set(knowledge.map((doc) => doc.id));
    for (const tool of tools) {
      const missing = (GOVERNING_SECTIONS[tool.function.name] ?? []).filter((id) => !sections.has(id));
      if (missing.length > 0) {
        new InputRecord(options.policy, 'file').fail(
          'headings',
          `must include the sections that govern the tool ${tool.function.name} (${missing.map((id) => `"${id}", a heading such as "## ${headingOf(id)}"`).join('; ')})`,
          undefined,
          `keep the airline policy's headings (the bundled policy.md has them), or leave ${tool.function.name} out of the tools file`,
        );
      }
    }
    // The bundled recordings, wherever the file is (a copy too), report the test split only: the dev
    // tasks are the ones production's settings were chosen on.
    const split = options.split ?? (resolve(options.trajectories) === bundled('gpt-4o-airline.json') || (await sameBytes(options.trajectories, bundled('gpt-4o-airline.json'))) ? 'test' : 'all');
    // Numbered by their place in the file, so an error names the record a user can find there.
    const records = new InputRecord(options.trajectories, 'file')
      .array(trajectories, 'top level')
      .map((value, index) => ({ value, index }))
      .filter(({ value }) => inSplit(value, split));
    const source: TrajectorySource = { knowledge, database, policy: policy.trim(), tools, toolNames: new Set(tools.map((tool) => tool.function.name)) };
    const pending = records.map(({ value, index }): PendingRecord => {
      const at = new InputRecord(options.trajectories, trajectoryLabel(index, value));
      return { at, toEpisode: () => toEpisode(at, value, source) };
    });
    const collected = collectEpisodes(pending, options);
    // One profile for every episode (routers are trained once per profile object).
    const intentProfile = airlineIntentProfile(knowledge, tools);
    return { name: DATASET, ...collected, episodes: collected.episodes.map((episode) => ({ ...episode, intentProfile })) };
  },
});
