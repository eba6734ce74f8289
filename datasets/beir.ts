import { fileURLToPath } from 'node:url';
import { DataError } from '../core/errors.js';
import { z } from 'zod';
import { defineDataset } from '../core/harness/dataset.js';
import { inputFile } from '../core/harness/options.js';
import type { Episode, KnowledgeDocument, SkippedRecord } from '../core/harness/episode.js';
import { InputRecord, loadOptionFields, readTextFile } from './records.js';


interface Query {
  id: string;
  text: string;
}

interface Judgement {
  queryId: string;
  docId: string;
  grade: number;
}

/** Where bad lines go: thrown, or under `lenient` listed in `skipped`. */
interface LineSink {
  lenient: boolean;
  skipped: SkippedRecord[];
}

const data = (name: string) => fileURLToPath(new URL(`./data/beir-airline-policy/${name}`, import.meta.url));
const QRELS_HEADER = ['query-id', 'corpus-id', 'score'];
const SYSTEM_PROMPT = 'You are a customer-support agent. Answer the question using the relevant knowledge documents.';

/** Options of the BEIR loader: a corpus, its queries and graded relevance judgements. */
const beirOptions = z
  .object({
    corpus: inputFile('JSON lines { _id, title?, text, metadata? }', data('corpus.jsonl')),
    queries: inputFile('JSON lines { _id, text }', data('queries.jsonl')),
    qrels: inputFile('tab-separated query-id, corpus-id, score with that header line', data('qrels/test.tsv')),
    ...loadOptionFields,
  })
  .strict();

/** Options of the BEIR loader. */
export type BeirOptions = z.output<typeof beirOptions>;

/**
 * BEIR layout (corpus, queries, qrels) for any corpus with relevance judgements. One episode per
 * query with at least one judgement of grade > 0: no recorded messages, one turn posing the query,
 * probed by the graded judgements. Every episode shares one knowledge array: the whole corpus.
 * Malformed lines throw a DataError naming the file and line, or under `lenient` are skipped and
 * listed; a bad qrels header always throws, as no row can be read without it.
 */
export const beir = defineDataset({
  name: 'beir',
  description: 'BEIR-format retrieval set: a corpus, queries and graded relevance judgements',
  options: beirOptions,
  async load(options) {
    const [corpusText, queriesText, qrelsText] = await Promise.all([options.corpus, options.queries, options.qrels].map(readTextFile));
    const sink: LineSink = { lenient: options.lenient ?? false, skipped: [] };
    const knowledge = readCorpus(options.corpus, corpusText!, sink);
    const queries = readQueries(options.queries, queriesText!, sink);
    const judgements = readQrels(options.qrels, qrelsText!, sink, new Set(queries.map((q) => q.id)), new Set(knowledge.map((d) => d.id)));
    const episodes = queries
      .map((query) => ({ query, relevant: judgements.get(query.id) ?? {} }))
      .filter(({ relevant }) => Object.values(relevant).some((grade) => grade > 0))
      .slice(0, options.limit ?? Infinity)
      .map(({ query, relevant }): Episode => ({
        id: `beir/${query.id}`,
        dataset: 'beir',
        userId: 'beir-user',
        systemPrompt: SYSTEM_PROMPT,
        messages: [],
        knowledge,
        turns: [{ at: 0, query: query.text, probes: [{ kind: 'retrieval', relevant }] }],
      }));
    return { name: 'beir', episodes, skipped: sink.skipped };
  },
});

/**
 * Parses each non-blank line from `first` (1-based) as record `line N`. A DataError fails the
 * load, or under `lenient` skips and lists the line.
 */
function parseLines<T>(file: string, text: string, sink: LineSink, parse: (at: InputRecord, line: string) => T, first = 1): T[] {
  const parsed: T[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (index + 1 < first || line.trim() === '') return;
    const at = new InputRecord(file, `line ${index + 1}`);
    try {
      parsed.push(parse(at, line));
    } catch (error) {
      if (!(error instanceof DataError) || !sink.lenient) throw error;
      sink.skipped.push({ file, record: at.record, reason: `${error.field} ${error.expected}` });
    }
  });
  return parsed;
}

/** One JSON object per line, with a unique `_id` (a string, or a number read as one). */
function jsonLine(at: InputRecord, line: string, seen: Set<string>): { id: string; record: Record<string, unknown> } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    at.fail('contents', 'must be valid JSON', (error as Error).message);
  }
  const record = at.object(value, 'line');
  const id = at.optionalId(record._id, '_id') ?? at.fail('_id', 'must be a string or number');
  if (seen.has(id)) at.fail('_id', 'must be unique in the file', id);
  seen.add(id);
  return { id, record };
}

function readCorpus(file: string, text: string, sink: LineSink): KnowledgeDocument[] {
  const seen = new Set<string>();
  return parseLines(file, text, sink, (at, line) => {
    const { id, record } = jsonLine(at, line, seen);
    const document: KnowledgeDocument = {
      id,
      title: record.title === undefined ? '' : at.string(record.title, 'title'),
      text: at.string(record.text, 'text'),
    };
    // A document without text can never be found in a context: its recall would read as a miss even when sent whole.
    if (document.text.trim() === '') at.fail('text', 'must hold the document\'s text (an empty document can never be found in a context, so it would count as missed even when sent)', record.text);
    if (record.metadata !== undefined) document.metadata = at.object(record.metadata, 'metadata');
    return document;
  });
}

function readQueries(file: string, text: string, sink: LineSink): Query[] {
  const seen = new Set<string>();
  return parseLines(file, text, sink, (at, line) => {
    const { id, record } = jsonLine(at, line, seen);
    return { id, text: at.nonEmptyString(record.text, 'text') };
  });
}

/** Judgements by query id: document id -> grade. */
function readQrels(file: string, text: string, sink: LineSink, queryIds: Set<string>, docIds: Set<string>): Map<string, Record<string, number>> {
  const header = text.split(/\r?\n/, 1)[0]!.trim().split('\t');
  if (header.join('\t') !== QRELS_HEADER.join('\t')) {
    throw new DataError(file, 'line 1', 'header', `must be "${QRELS_HEADER.join('\\t')}"`, header.join('\t'));
  }
  const judgements = new Map<string, Record<string, number>>();
  parseLines(file, text, sink, (at, line) => {
    const { queryId, docId, grade } = qrelsRow(at, line, queryIds, docIds);
    const relevant = judgements.get(queryId) ?? {};
    if (docId in relevant) at.fail('corpus-id', `must be judged once for query ${queryId}`, docId);
    relevant[docId] = grade;
    judgements.set(queryId, relevant);
  }, 2);
  return judgements;
}

function qrelsRow(at: InputRecord, line: string, queryIds: Set<string>, docIds: Set<string>): Judgement {
  const columns = line.trim().split('\t');
  if (columns.length !== QRELS_HEADER.length) at.fail('row', 'must have 3 tab-separated columns: query-id, corpus-id, score', line);
  const [queryId, docId, score] = columns as [string, string, string];
  if (!queryIds.has(queryId)) at.fail('query-id', 'must name a query of the queries file', queryId);
  if (!docIds.has(docId)) at.fail('corpus-id', 'must name a document of the corpus', docId);
  if (!/^-?\d+$/.test(score)) at.fail('score', 'must be an integer grade', score);
  return { queryId, docId, grade: Number(score) };
}
