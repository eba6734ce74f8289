import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { defineDataset } from '../core/harness/dataset.js';
import { inputFile } from '../core/harness/options.js';
import type { Episode, KnowledgeDocument, Probe, Turn } from '../core/harness/episode.js';
import { factProbesFromToolCalls } from '../core/harness/facts.js';
import { containsNormalized, normalizeForMatch } from '../core/harness/match.js';
import type { ChatMessage, ToolCall } from '../core/messages.js';
import { abcdGuidelineProfile } from './abcd-intents.js';
import { retailSnapshot } from './customer-snapshots.js';
import { availableFromStart } from './chat-messages.js';
import { collectEpisodes, loadOptionFields, InputRecord, readJsonFile } from './records.js';


/** What the ontology tells the loader: subflows by flow, action names and slots, enumerable slot values. */
interface Ontology {
  subflows: Map<string, string[]>;
  actions: Map<string, string[]>;
  /** Lower-cased enumerable value -> its slot name. */
  slotOfValue: Map<string, string>;
}

interface DialogueContext {
  ontology: Ontology;
  knowledge: KnowledgeDocument[];
  documentIds: Set<string>;
  guidelinesFile: string;
}

type Scenario = Record<string, Record<string, unknown>>;

const data = (name: string) => fileURLToPath(new URL(`./data/abcd/${name}`, import.meta.url));

/** Options of the ABCD loader: the dialogues plus the three files that describe the agent's world. */
const abcdOptions = z
  .object({
    dialogues: inputFile('dialogues: an array, or the upstream { train, dev, test } object of arrays', data('abcd_sample.json')),
    guidelines: inputFile('agent guidelines by flow and subflow', data('guidelines.json')),
    kb: inputFile('required action sequence by subflow', data('kb.json')),
    ontology: inputFile('flows, subflows, actions and slot values', data('ontology.json')),
    ...loadOptionFields,
  })
  .strict();

/** Options of the ABCD loader. */
export type AbcdOptions = z.output<typeof abcdOptions>;
const SYSTEM_PROMPT =
  'You are a customer-support agent for an online clothing retailer. Identify what the customer needs, ' +
  'follow the company guideline for that request step by step, take the required actions, and keep replies short.';
/** Name of an action whose text matches no ontology action (ABCD labels such turns take_action). */
const UNMATCHED_ACTION = 'take-action';
/** Parts of action names too common in action texts to tell actions apart ("ask-the-oracle", "pull-up-account"). */
const FUNCTION_WORDS = new Set(['the', 'up', 'in', 'out']);

/**
 * ABCD (Action-Based Conversations Dataset, ASAPP): retail customer-service dialogues whose agent
 * follows a guideline per subflow and takes actions. One episode per dialogue; action turns become
 * an assistant tool call plus its tool result. Every assistant message is a turn probing the
 * intent (`flow/subflow`) and the subflow's guideline document; action turns add fact probes.
 * Knowledge: one document per guideline subflow (`guideline/<flow>/<subflow>`, matched to the
 * ontology's ids by shared words) and one per knowledge-base subflow (`kb/<subflow>`), one array
 * shared by all episodes. A malformed dialogue, or one whose subflow has no guideline, throws a
 * DataError or under `lenient` is skipped and listed; malformed guidelines, kb or ontology always throw.
 */
export const abcd = defineDataset({
  name: 'abcd',
  description: 'ABCD retail customer service: dialogues with agent actions, per-subflow guidelines and a knowledge base',
  options: abcdOptions,
  async load(options) {
    const [dialogues, guidelines, kb, ontologyValue] = await Promise.all(
      [options.dialogues, options.guidelines, options.kb, options.ontology].map(readJsonFile),
    );
    const ontology = readOntology(options.ontology, ontologyValue);
    const knowledge = [...guidelineDocuments(options.guidelines, guidelines, ontology), ...kbDocuments(options.kb, kb, ontology)];
    const context = { ontology, knowledge, documentIds: new Set(knowledge.map((doc) => doc.id)), guidelinesFile: options.guidelines };
    const pending = dialogueList(options.dialogues, dialogues).map((dialogue, index) => {
      const at = new InputRecord(options.dialogues, `dialogue ${dialogueLabel(dialogue, index)}`);
      return { at, toEpisode: () => dialogueEpisode(at, dialogue, context) };
    });
    const { episodes, skipped } = collectEpisodes(pending, options);
    // The router learns from the guidelines alone, never from the dialogues it is scored on.
    const intentProfile = abcdGuidelineProfile(knowledge);
    return { name: 'abcd', episodes: episodes.map((episode) => ({ ...episode, intentProfile })), skipped };
  },
});

function readOntology(file: string, value: unknown): Ontology {
  const at = new InputRecord(file, 'ontology');
  const root = at.object(value, 'ontology');
  const subflows = at.object(at.object(root.intents, 'intents').subflows, 'intents.subflows');
  const actions = at.object(root.actions, 'actions');
  const enumerable = at.object(at.object(root.values, 'values').enumerable, 'values.enumerable');
  const strings = (list: unknown, field: string) => at.array(list, field).map((item, i) => at.string(item, `${field}[${i}]`));
  return {
    subflows: new Map(Object.entries(subflows).map(([flow, list]) => [flow, strings(list, `intents.subflows.${flow}`)])),
    actions: new Map(
      Object.entries(actions).flatMap(([kind, byName]) =>
        Object.entries(at.object(byName, `actions.${kind}`)).map(([name, slots]) => [name, strings(slots, `actions.${kind}.${name}`)] as const),
      ),
    ),
    slotOfValue: new Map(
      Object.entries(enumerable).flatMap(([slot, list]) => strings(list, `values.enumerable.${slot}`).map((v) => [v.toLowerCase(), slot] as const)),
    ),
  };
}

/** One document per guideline subflow, under the ontology's flow and subflow ids. */
function guidelineDocuments(file: string, value: unknown, ontology: Ontology): KnowledgeDocument[] {
  const root = new InputRecord(file, 'guidelines').object(value, 'guidelines');
  return Object.entries(root).flatMap(([flowTitle, flowValue]) => {
    const at = new InputRecord(file, `flow "${flowTitle}"`);
    const flow = flowTitle.toLowerCase().replace(/[^a-z0-9]+/g, '_');
    const known = ontology.subflows.get(flow) ?? at.fail('name', `must name an ontology flow (${[...ontology.subflows.keys()].join(', ')})`, flowTitle);
    const entry = at.object(flowValue, 'flow');
    return Object.entries(at.object(entry.subflows, 'subflows')).map(([title, subflowValue]) => {
      const subflow = matchSubflow(title, known) ?? at.fail(`subflows."${title}"`, `must match one subflow of ${flow} (${known.join(', ')})`);
      return { id: `guideline/${flow}/${subflow}`, title: `${flowTitle}: ${title}`, text: guidelineText(at, title, subflowValue), metadata: { flow, subflow } };
    });
  });
}

/** The ontology subflow sharing the most words with a guideline title ("Initiate Refund" -> refund_initiate); none when tied. */
function matchSubflow(title: string, subflows: readonly string[]): string | undefined {
  const words = new Set(title.toLowerCase().split(/[^a-z0-9]+/));
  const scored = subflows.map((id) => ({ id, score: id.split('_').filter((part) => words.has(part)).length })).sort((a, b) => b.score - a.score);
  const [best, second] = scored;
  return best && best.score > 0 && best.score !== second?.score ? best.id : undefined;
}

function guidelineText(at: InputRecord, title: string, value: unknown): string {
  const field = `subflows."${title}"`;
  const subflow = at.object(value, field);
  const instructions = at.array(subflow.instructions, `${field}.instructions`).map((line, i) => at.string(line, `${field}.instructions[${i}]`));
  const steps = at.array(subflow.actions, `${field}.actions`).map((stepValue, i) => {
    const step = at.object(stepValue, `${field}.actions[${i}]`);
    const button = at.string(step.button, `${field}.actions[${i}].button`);
    const text = at.string(step.text, `${field}.actions[${i}].text`);
    const details = at.array(step.subtext, `${field}.actions[${i}].subtext`).map((line, j) => `   - ${at.string(line, `${field}.actions[${i}].subtext[${j}]`)}`);
    return [`${i + 1}. ${button === 'N/A' ? '' : `[${button}] `}${text}`, ...details].join('\n');
  });
  return [...instructions, ...steps].join('\n');
}

/** One document per subflow of the knowledge base: the actions it requires, in order, with their slots. */
function kbDocuments(file: string, value: unknown, ontology: Ontology): KnowledgeDocument[] {
  const at = new InputRecord(file, 'kb');
  const subflows = new Set([...ontology.subflows.values()].flat());
  return Object.entries(at.object(value, 'kb')).map(([subflow, list]) => {
    if (!subflows.has(subflow)) at.fail(subflow, `must be a subflow of the ontology (${[...subflows].join(', ')})`, subflow);
    const steps = at.array(list, subflow).map((action, i) => {
      const name = at.string(action, `${subflow}[${i}]`);
      if (!ontology.actions.has(name)) at.fail(`${subflow}[${i}]`, `must be an action of the ontology (${[...ontology.actions.keys()].join(', ')})`, name);
      const slots = ontology.actions.get(name)!;
      return `${i + 1}. ${name}${slots.length > 0 ? ` (${slots.join(', ')})` : ''}`;
    });
    return { id: `kb/${subflow}`, title: `Required actions for ${subflow.replace(/_/g, ' ')}`, text: steps.join('\n'), metadata: { subflow } };
  });
}

function dialogueList(file: string, value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  const at = new InputRecord(file, 'file');
  const splits = at.object(value, 'dialogues');
  // The upstream file's splits: a misspelt one ("tets") would be replayed as if it were one.
  at.knownKeys(splits, '', ABCD_SPLITS);
  return Object.entries(splits).flatMap(([split, list]) => at.array(list, split));
}

const ABCD_SPLITS = ['train', 'dev', 'test'];

function dialogueLabel(value: unknown, index: number): string {
  const id = (value as { convo_id?: unknown } | null)?.convo_id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : `#${index}`;
}

function dialogueEpisode(at: InputRecord, value: unknown, context: DialogueContext): Episode {
  const dialogue = at.object(value, 'dialogue');
  const id = at.optionalId(dialogue.convo_id, 'convo_id') ?? at.fail('convo_id', 'must be a string or number');
  const raw = at.object(dialogue.scenario, 'scenario');
  const scenario: Scenario = {
    personal: at.object(raw.personal, 'scenario.personal'),
    order: at.object(raw.order, 'scenario.order'),
    product: at.object(raw.product, 'scenario.product'),
  };
  const { flow, subflow } = scenarioIntent(at, raw, context.ontology);
  const intent = `${flow}/${subflow}`;
  const documentId = `guideline/${intent}`;
  if (!context.documentIds.has(documentId)) at.fail('scenario.subflow', `must have a guideline in ${context.guidelinesFile} (no ${documentId})`, raw.subflow);
  const personal = scenario.personal!;
  const userId = [personal.username, personal.customer_name].find((v): v is string => typeof v === 'string' && v.trim() !== '');
  const messages = dialogueMessages(at, dialogue, scenario, context.ontology);
  const customer = { profile: personal, records: { order: scenario.order, product: scenario.product }, snapshot: retailSnapshot(personal, scenario.order!, scenario.product!) };
  const facts = factProbesFromToolCalls(messages, availableFromStart(customer, context.knowledge));
  const shared: Probe[] = [{ kind: 'intent', expected: intent }, { kind: 'document', documentId }];
  const turns: Turn[] = messages.flatMap((message, index) => {
    const fact = facts.get(index);
    return message.role === 'assistant' ? [{ at: index, probes: fact ? [...shared, fact] : shared }] : [];
  });
  return {
    id: `abcd/${id}`,
    dataset: 'abcd',
    userId: userId ?? at.fail('scenario.personal.username', 'or scenario.personal.customer_name must be a non-empty string', personal.username),
    systemPrompt: SYSTEM_PROMPT,
    messages,
    knowledge: context.knowledge,
    customer,
    turns,
    metadata: { flow, subflow, scenarioSubflow: raw.subflow },
  };
}

/** The scenario's flow and subflow; FAQ scenarios name the question too ("timing_4"), which is not part of the intent. */
function scenarioIntent(at: InputRecord, scenario: Record<string, unknown>, ontology: Ontology): { flow: string; subflow: string } {
  const flow = at.string(scenario.flow, 'scenario.flow');
  const subflows = ontology.subflows.get(flow) ?? at.fail('scenario.flow', `must be an ontology flow (${[...ontology.subflows.keys()].join(', ')})`, flow);
  const subflow = at.string(scenario.subflow, 'scenario.subflow');
  const base = [subflow, subflow.replace(/_\d+$/, '')].find((candidate) => subflows.includes(candidate));
  return { flow, subflow: base ?? at.fail('scenario.subflow', `must be a subflow of ${flow} (${subflows.join(', ')})`, subflow) };
}

function dialogueMessages(at: InputRecord, dialogue: Record<string, unknown>, scenario: Scenario, ontology: Ontology): ChatMessage[] {
  const original = at.array(dialogue.original, 'original');
  const delexed = dialogue.delexed === undefined ? undefined : at.array(dialogue.delexed, 'delexed');
  if (delexed && delexed.length !== original.length) at.fail('delexed', `must have one entry per turn of original (${original.length})`, delexed);
  const messages: ChatMessage[] = [];
  let calls = 0;
  original.forEach((entry, index) => {
    const field = `original[${index}]`;
    const pair = at.array(entry, field);
    if (pair.length !== 2) at.fail(field, 'must be a [speaker, text] pair', pair);
    const speaker = at.string(pair[0], `${field}[0]`);
    const text = at.string(pair[1], `${field}[1]`);
    if (speaker === 'customer') messages.push({ role: 'user', content: text });
    else if (speaker === 'agent') messages.push({ role: 'assistant', content: text });
    else if (speaker === 'action') {
      const call: ToolCall = { id: `call_${++calls}`, type: 'function', function: actionCall(at, text, delexed?.[index], index, scenario, ontology) };
      messages.push({ role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: call.id, content: text });
    } else at.fail(`${field}[0]`, 'must be "agent", "customer" or "action"', speaker);
  });
  return messages;
}

/**
 * The tool call of an action turn. The delexed annotation, when present, names the action and its
 * slot values; otherwise the name is the ontology action whose words the text shares most, and the
 * values are the scenario's values that the text mentions.
 */
function actionCall(at: InputRecord, text: string, delexed: unknown, index: number, scenario: Scenario, ontology: Ontology): ToolCall['function'] {
  const label = delexed === undefined ? undefined : delexedAction(at, delexed, index);
  const name = label ? knownAction(at, label.name, index, ontology) : actionName(text, [...ontology.actions.keys()]);
  const values = label?.values ?? scenarioValues(scenario).filter((v) => containsNormalized(normalizeForMatch(text), v));
  return { name, arguments: JSON.stringify(slotArguments(values, scenario, ontology)) };
}

/** The labelled action of a delexed entry: `targets` is [subflow, "take_action", action, values, ...]. */
function delexedAction(at: InputRecord, value: unknown, index: number): { name: string; values: string[] } {
  const field = `delexed[${index}].targets`;
  const targets = at.array(at.object(value, `delexed[${index}]`).targets, field);
  if (targets[1] !== 'take_action') at.fail(`${field}[1]`, 'must be "take_action" on an action turn', targets[1]);
  const values = at.array(targets[3], `${field}[3]`).map((v, i) => at.string(v, `${field}[3][${i}]`));
  return { name: at.nonEmptyString(targets[2], `${field}[2]`), values };
}

/** The action a delexed entry names, which must be one of the ontology's (the tool probes are built from it). */
function knownAction(at: InputRecord, name: string, index: number, ontology: Ontology): string {
  if (!ontology.actions.has(name)) at.fail(`delexed[${index}].targets[2]`, `must be an action of the ontology (${[...ontology.actions.keys()].join(', ')})`, name);
  return name;
}

function actionName(text: string, names: readonly string[]): string {
  const words = text.toLowerCase().split(/[^a-z0-9]+/);
  const sameStem = (word: string, part: string) => (part.length < 4 ? word === part : word.startsWith(part.slice(0, 5)));
  const matches = (part: string) => !FUNCTION_WORDS.has(part) && words.some((word) => sameStem(word, part));
  const scored = names.map((name) => ({ name, score: name.split('-').filter(matches).length }));
  scored.sort((a, b) => b.score - a.score);
  const [best, second] = scored;
  return best && best.score > 0 && best.score !== second?.score ? best.name : UNMATCHED_ACTION;
}

function scenarioValues(scenario: Scenario): string[] {
  return [scenario.personal!, scenario.order!].flatMap((record) => Object.values(record).filter((v): v is string => typeof v === 'string' && v.trim().length > 2));
}

/** Names each slot value by the scenario field or enumerable slot that holds it, e.g. { customer_name: "crystal minh" }. */
function slotArguments(values: readonly string[], scenario: Scenario, ontology: Ontology): Record<string, string> {
  const fields = [scenario.personal!, scenario.order!].flatMap((record) => Object.entries(record));
  const args: Record<string, string> = {};
  values.forEach((value, i) => {
    const lower = value.toLowerCase();
    const slot = fields.find(([, v]) => String(v).toLowerCase() === lower)?.[0] ?? ontology.slotOfValue.get(lower) ?? `value_${i + 1}`;
    let key = slot;
    for (let n = 2; key in args; n++) key = `${slot}_${n}`;
    args[key] = value;
  });
  return args;
}
