import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { defineDataset } from '../core/harness/dataset.js';
import { inputFile } from '../core/harness/options.js';
import type { CustomerRecord, Episode, KnowledgeDocument } from '../core/harness/episode.js';
import { parseChatMessages, splitInstructions, turnsFromMessages } from './chat-messages.js';
import { airlineSnapshot } from './customer-snapshots.js';
import { collectEpisodes, loadOptionFields, InputRecord, readJsonFile, readTextFile, type PendingRecord } from './records.js';

const DATASET = 'tau-bench-airline';
const SYSTEM_PROMPT =
  'You are an airline customer-service agent. Help the user book, modify or cancel flight reservations, using the tools available and following the airline policy.';

const bundled = (name: string) => fileURLToPath(new URL(`./data/tau-bench-airline/${name}`, import.meta.url));

/** Paths of a tau-bench airline recording: trajectories plus the airline database and policy they ran against. */
const tauBenchOptions = z
  .object({
    trajectories: inputFile('JSON array of { task_id, reward, info: { task: { user_id } }, traj, trial }', bundled('gpt-4o-airline.json')),
    users: inputFile('JSON object of user records keyed by user id, each listing its reservations', bundled('users.json')),
    reservations: inputFile('JSON object of reservation records keyed by reservation id', bundled('reservations.json')),
    policy: inputFile('the agent policy in markdown; one knowledge document per section', bundled('policy.md')),
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
      return { id: `policy#${count === 1 ? base : `${base}-${count}`}`, title, text };
    });
}

function slugify(title: string): string {
  return title.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-+|-+$/g, '') || 'section';
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

function trajectoryLabel(index: number, source: unknown): string {
  const { task_id: task, trial } = (source ?? {}) as Record<string, unknown>;
  return Number.isInteger(task) && Number.isInteger(trial) ? `trajectory ${index} (task ${task}, trial ${trial})` : `trajectory ${index}`;
}

function toEpisode(at: InputRecord, value: unknown, knowledge: KnowledgeDocument[], database: AirlineDatabase): Episode {
  const source = at.object(value, 'trajectory');
  const taskId = at.integer(source.task_id, 'task_id');
  const trial = at.integer(source.trial, 'trial');
  const reward = at.number(source.reward, 'reward');
  const task = at.object(at.object(source.info, 'info').task, 'info.task');
  const userId = at.nonEmptyString(task.user_id, 'info.task.user_id');
  if (!Object.hasOwn(database.users, userId)) at.fail('info.task.user_id', `must be a user id in ${database.usersFile}`, userId);
  const { conversation } = splitInstructions(parseChatMessages(source.traj, at, 'traj'));
  return {
    id: `tau-airline/task-${taskId}/trial-${trial}`,
    dataset: DATASET,
    userId,
    systemPrompt: SYSTEM_PROMPT,
    messages: conversation,
    knowledge,
    customer: customerOf(userId, database),
    turns: turnsFromMessages(conversation),
    metadata: { taskId, trial, reward },
  };
}

/** tau-bench airline: recorded agent trajectories replayed against the airline policy and database. */
export const tauBenchAirline = defineDataset({
  name: DATASET,
  description: 'tau-bench airline: 200 recorded GPT-4o customer-service trajectories with tool calls, the airline policy and its user/reservation database (MIT, Sierra)',
  options: tauBenchOptions,
  async load(options) {
    const [trajectories, users, reservations, policy] = await Promise.all([
      readJsonFile(options.trajectories),
      readJsonFile(options.users),
      readJsonFile(options.reservations),
      readTextFile(options.policy),
    ]);
    const database: AirlineDatabase = {
      usersFile: options.users,
      reservationsFile: options.reservations,
      users: new InputRecord(options.users, 'file').object(users, 'top level'),
      reservations: new InputRecord(options.reservations, 'file').object(reservations, 'top level'),
    };
    const knowledge = policySections(policy);
    const records = new InputRecord(options.trajectories, 'file').array(trajectories, 'top level');
    const pending = records.map((value, index): PendingRecord => {
      const at = new InputRecord(options.trajectories, trajectoryLabel(index, value));
      return { at, toEpisode: () => toEpisode(at, value, knowledge, database) };
    });
    return { name: DATASET, ...collectEpisodes(pending, options) };
  },
});
