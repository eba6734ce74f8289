import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DataError } from '../core/errors.js';
import { defineDataset } from '../core/harness/dataset.js';
import { inputFileList } from '../core/harness/options.js';
import type { DatasetNote, Episode, SkippedRecord, Turn } from '../core/harness/episode.js';
import type { ChatMessage } from '../core/messages.js';
import { collectEpisodes, loadOptionFields, InputRecord, readJsonFile } from './records.js';

const DATA_DIR = fileURLToPath(new URL('./data/locomo/', import.meta.url));

/** Options of the LoCoMo loader: one JSON file per conversation. */
const locomoOptions = z
  .object({
    files: inputFileList('conversation files, each one LoCoMo conversation object', () => bundledLocomoFiles('test'), 'the eight bundled test conversations (26.json and 30.json are the dev split)'),
    ...loadOptionFields,
  })
  .strict();

/** The bundled conversations whose settings may be chosen on: production's memory settings come from them, never from the reported ones. */
export const LOCOMO_DEV_FILES: readonly string[] = ['26.json', '30.json'];

/** The bundled locomo10 files of a split, in name order: dev ({@link LOCOMO_DEV_FILES}), test (the other eight) or all ten. */
export function bundledLocomoFiles(split: 'dev' | 'test' | 'all'): string[] {
  return readdirSync(DATA_DIR)
    .filter((name) => name.endsWith('.json') && (split === 'all' || LOCOMO_DEV_FILES.includes(name) === (split === 'dev')))
    .sort()
    .map((name) => join(DATA_DIR, name));
}

/** Options of the LoCoMo loader. */
export type LocomoOptions = z.output<typeof locomoOptions>;
const SYSTEM_PROMPT =
  'You are an assistant that remembers a long relationship between two people across many chat sessions. ' +
  'Answer questions about what they said and did, using the dates of the sessions.';
const ADVERSARIAL_CATEGORY = 5;
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const SESSION_DATE = /^(\d{1,2}):(\d{2}) (am|pm) on (\d{1,2}) ([A-Za-z]+), (\d{4})$/;

interface Speakers {
  a: string;
  b: string;
}

type FileContents = { file: string; value: unknown } | { file: string; error: DataError };

/**
 * LoCoMo (locomo10): very long two-person conversations with questions about them. One episode per
 * file; every session's turns become messages (speaker_a as the user), and every non-adversarial
 * question (category 1-4) becomes a turn at the end of the conversation with an evidence probe.
 *
 * Evidence ids are normalized ("D8:6; D9:17" and "D9:1 D4:4" are split, "D:11:26" and "D30:05"
 * read as D11:26 and D30:5, noted as `repaired`). An id that still names no turn is an upstream
 * annotation error, not a malformed record: it is left out of the probe and noted as `repaired`; a
 * question left with no evidence is noted as `unscored` (its evidence recall is not scored).
 * A dia_id repeated in a conversation, and a key that would leave a session out silently (a
 * misspelt session key, or a session's date without the session before later sessions), are
 * malformed conversations too. Structural errors throw a DataError, or under `lenient` skip the
 * conversation or question and list it in `skipped`.
 */
export const locomo = defineDataset({
  name: 'locomo',
  description: 'LoCoMo long-term conversational memory: 10 multi-session conversations with evidence-annotated questions',
  options: locomoOptions,
  async load(options) {
    const contents = await Promise.all(options.files.map(readConversationFile));
    const annotationNotes: DatasetNote[] = [];
    const skippedQuestions: SkippedRecord[] = [];
    const pending = contents.map((content) => ({
      at: new InputRecord(content.file, 'conversation'),
      toEpisode: () => {
        if ('error' in content) throw content.error;
        const notes: DatasetNote[] = [];
        const episode = conversationEpisode(content.file, content.value, options.lenient ?? false, notes, skippedQuestions);
        annotationNotes.push(...notes);
        return episode;
      },
    }));
    const { episodes, skipped } = collectEpisodes(pending, options);
    return { name: 'locomo', episodes, skipped: [...skipped, ...skippedQuestions], notes: annotationNotes };
  },
});

async function readConversationFile(file: string): Promise<FileContents> {
  try {
    return { file, value: await readJsonFile(file) };
  } catch (error) {
    if (error instanceof DataError) return { file, error };
    throw error;
  }
}

function conversationEpisode(file: string, value: unknown, lenient: boolean, notes: DatasetNote[], skipped: SkippedRecord[]): Episode {
  const at = new InputRecord(file, 'conversation');
  const conversation = at.object(value, 'conversation');
  const speakers = { a: at.nonEmptyString(conversation.speaker_a, 'speaker_a'), b: at.nonEmptyString(conversation.speaker_b, 'speaker_b') };
  checkKeys(at, conversation);
  const diaIds = new Map<string, string>();
  const messages = sessionNumbers(conversation).flatMap((session) => sessionMessages(at, conversation, session, speakers, diaIds));
  const texts = new Map(messages.map((message) => [normalizeDiaId(message.metadata!.diaId as string), message.content!]));
  const qa = at.array(conversation.qa, 'qa');
  const turns: Turn[] = [];
  qa.forEach((item, index) => {
    const record = new InputRecord(file, `qa[${index}]`);
    try {
      const turn = questionTurn(record, item, texts, messages.length, notes);
      if (turn) turns.push(turn);
    } catch (error) {
      if (!(error instanceof DataError) || !lenient) throw error;
      skipped.push({ file, record: record.record, reason: `${error.field} ${error.expected}` });
    }
  });
  return {
    id: `locomo/${basename(file, '.json')}`,
    dataset: 'locomo',
    userId: speakers.a,
    systemPrompt: SYSTEM_PROMPT,
    messages,
    knowledge: [],
    turns,
    metadata: { speakerA: speakers.a, speakerB: speakers.b, sessions: new Set(messages.map((m) => m.metadata!.session)).size, questions: turns.length },
  };
}

/** Numbers of the sessions that have a turn list, in numeric order. */
function sessionNumbers(conversation: Record<string, unknown>): number[] {
  return Object.keys(conversation)
    .map((key) => /^session_(\d+)$/.exec(key)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/** The keys of a LoCoMo conversation object (locomo10's, flattened: the sample's conversation, summaries, observations and events). */
const KNOWN_KEY = /^(?:speaker_[ab]|qa|session_\d+(?:_date_time|_summary|_observation)?|events_session_\d+)$/;
const KNOWN_KEYS_TEXT = 'speaker_a, speaker_b, qa, session_<N> and its session_<N>_date_time, session_<N>_summary, session_<N>_observation, events_session_<N>';
/** The keys that belong to session N besides session_N itself. */
const COMPANIONS = [/^session_(\d+)_(?:date_time|summary|observation)$/, /^events_session_(\d+)$/];

/**
 * Refuses keys that would leave a session out silently: a key that is no LoCoMo key but looks
 * like one (it mentions a session, is a typo of a key of its number, or holds a list of turns),
 * and a session's date, summary, observation or events without the session when later sessions
 * are there (upstream conversation 26 dates 16 sessions after its last one; those are kept as they are).
 */
function checkKeys(at: InputRecord, conversation: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(conversation)) {
    if (KNOWN_KEY.test(key)) continue;
    const meant = intendedKey(key);
    if (meant !== undefined) {
      at.fail(key, `is not a key of a LoCoMo conversation: did you mean "${meant}"? (a misspelt key is not read, so its session would be left out)`, undefined, `rename "${key}" to "${meant}"`);
    }
    if (/ses+ion/i.test(key) || holdsTurns(value)) {
      at.fail(key, `is not a key of a LoCoMo conversation (${KNOWN_KEYS_TEXT}), but looks like a session, which would be left out unread`, undefined, `rename "${key}" to the session key it stands for (session_<N>), or remove it`);
    }
  }
  const sessions = sessionNumbers(conversation);
  const last = sessions.at(-1) ?? 0;
  for (const key of Object.keys(conversation)) {
    const session = COMPANIONS.map((pattern) => pattern.exec(key)?.[1]).find((n) => n !== undefined);
    if (session === undefined || sessions.includes(Number(session)) || Number(session) > last) continue;
    at.fail(
      key,
      `belongs to session ${session}, but the conversation has no key session_${session} although session_${last} comes later: a session missing from the middle is most likely misspelt, and would be left out`,
      undefined,
      `restore the key session_${session} (check its spelling), or remove ${key}`,
    );
  }
}

/** The LoCoMo key of the same session number that `key` is a typo of (at most two edits, case aside), if any. */
function intendedKey(key: string): string | undefined {
  const number = /\d+/.exec(key)?.[0];
  if (number === undefined) return undefined;
  const n = Number(number);
  const candidates = [`session_${n}`, `session_${n}_date_time`, `session_${n}_summary`, `session_${n}_observation`, `events_session_${n}`];
  return candidates.find((candidate) => editDistance(key.toLowerCase(), candidate) <= 2);
}

/** Whether a value is a list of LoCoMo turns (objects with a dia_id). */
function holdsTurns(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0 && value.every((turn) => turn !== null && typeof turn === 'object' && 'dia_id' in turn);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    previous = current;
  }
  return previous[b.length]!;
}

/** A session's turns as messages; `seen` holds the normalized dia_id of every turn read so far and where it is, so that a repeated one fails. */
function sessionMessages(at: InputRecord, conversation: Record<string, unknown>, session: number, speakers: Speakers, seen: Map<string, string>): ChatMessage[] {
  const key = `session_${session}`;
  const turns = at.array(conversation[key], key);
  if (turns.length === 0) return [];
  const dateField = `${key}_date_time`;
  const date = at.string(conversation[dateField], dateField);
  const timestamp = parseSessionDate(date) ?? at.fail(dateField, 'must be a date like "1:56 pm on 8 May, 2023"', date);
  return turns.map((value, index) => {
    const field = `${key}[${index}]`;
    const turn = at.object(value, field);
    const speaker = at.string(turn.speaker, `${field}.speaker`);
    if (speaker !== speakers.a && speaker !== speakers.b) at.fail(`${field}.speaker`, `must be speaker_a "${speakers.a}" or speaker_b "${speakers.b}"`, speaker);
    const diaId = at.nonEmptyString(turn.dia_id, `${field}.dia_id`);
    const normalized = normalizeDiaId(diaId);
    const first = seen.get(normalized);
    if (first !== undefined) {
      const read = normalized === diaId ? '' : ` (read as ${normalized})`;
      at.fail(`${field}.dia_id`, `must be unique in the conversation, but ${first} has the same dia_id${read}: evidence naming it would point at the wrong turn`, diaId, `give the turn of ${field} its own dia_id (D${session}:<its number in the session>)`);
    }
    seen.set(normalized, field);
    const text = at.string(turn.text, `${field}.text`);
    const caption = turn.blip_caption === undefined ? undefined : at.string(turn.blip_caption, `${field}.blip_caption`);
    return {
      role: speaker === speakers.a ? 'user' : 'assistant',
      name: speakerName(speaker, speaker === speakers.a ? 'speaker_a' : 'speaker_b'),
      content: caption ? `${text} [shared a photo: ${caption}]` : text,
      timestamp,
      metadata: { diaId, session },
    } satisfies ChatMessage;
  });
}

/** The speaker's name in the characters a chat message name allows. */
function speakerName(speaker: string, fallback: string): string {
  const name = speaker.replace(/[^a-zA-Z0-9_-]+/g, '_').replace(/^_+|_+$/g, '');
  return name === '' ? fallback : name;
}

/** "1:56 pm on 8 May, 2023" as ISO 8601; the data gives no time zone, so it is read as UTC. */
function parseSessionDate(text: string): string | undefined {
  const match = SESSION_DATE.exec(text);
  if (!match) return undefined;
  const [, hourText, minuteText, meridiem, dayText, monthName, yearText] = match;
  const hour = Number(hourText);
  const minute = Number(minuteText);
  const month = MONTHS.indexOf(monthName!);
  if (hour < 1 || hour > 12 || minute > 59 || month < 0) return undefined;
  const date = new Date(Date.UTC(Number(yearText), month, Number(dayText), (hour % 12) + (meridiem === 'pm' ? 12 : 0), minute));
  return date.getUTCDate() === Number(dayText) ? date.toISOString() : undefined;
}

function questionTurn(at: InputRecord, value: unknown, texts: Map<string, string>, end: number, notes: DatasetNote[]): Turn | undefined {
  const item = at.object(value, 'qa item');
  const category = at.integer(item.category, 'category');
  if (category < 1 || category > ADVERSARIAL_CATEGORY) at.fail('category', 'must be an integer from 1 to 5', category);
  if (category === ADVERSARIAL_CATEGORY) return undefined;
  const question = at.nonEmptyString(item.question, 'question');
  if (typeof item.answer !== 'string' && typeof item.answer !== 'number') at.fail('answer', 'must be a string or a number', item.answer);
  const evidence: string[] = [];
  const note = (kind: DatasetNote['kind'], reason: string) => notes.push({ file: at.file, record: at.record, reason, kind });
  for (const { raw, id } of evidenceIds(at, item.evidence)) {
    const text = texts.get(id);
    if (text === undefined) note('repaired', `evidence ${raw} names no turn: left out of the probe`);
    else {
      if (raw !== id) note('repaired', `evidence ${raw} read as ${id}`);
      evidence.push(text);
    }
  }
  if (evidence.length === 0) note('unscored', 'no evidence turn: evidence recall is not scored for this question');
  return { at: end, query: question, probes: [{ kind: 'evidence', evidence, answer: String(item.answer) }] };
}

/** Dialogue ids of an evidence list, as given and normalized, without repeats. */
function evidenceIds(at: InputRecord, value: unknown): Array<{ raw: string; id: string }> {
  const ids = at.array(value, 'evidence').flatMap((entry, index) => at.string(entry, `evidence[${index}]`).split(/[\s;,]+/));
  const seen = new Set<string>();
  return ids
    .filter((raw) => raw !== '')
    .map((raw) => ({ raw, id: normalizeDiaId(raw) }))
    .filter(({ id }) => !seen.has(id) && seen.add(id));
}

/** "D:11:26" -> "D11:26", "D30:05" -> "D30:5"; anything else unchanged. */
function normalizeDiaId(id: string): string {
  const match = /^D:?0*(\d+):0*(\d+)$/.exec(id);
  return match ? `D${match[1]}:${match[2]}` : id;
}
