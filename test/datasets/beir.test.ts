import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { DataError, type Episode, type RetrievalProbe } from '../../core/index.js';
import { beir } from '../../datasets/beir.js';
import { expectDataError, fixtureDir } from './fixtures.js';

const bundled = await beir.load(beir.defaults());
const relevanceOf = (e: Episode) => (e.turns[0]!.probes[0] as RetrievalProbe).relevant;

const fixtures = fixtureDir('beir');

const jsonLines = (...records: unknown[]) => records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';
const HEADER = 'query-id\tcorpus-id\tscore';
const tsv = (...rows: string[]) => [HEADER, ...rows].join('\n') + '\n';

const corpus = jsonLines(
  { _id: 'doc1', title: 'Returns', text: 'Items can be returned within 30 days.' },
  { _id: 2, text: 'Shipping is free over $50.', metadata: { section: 'shipping' } },
);
const queries = jsonLines({ _id: 'q1', text: 'How long do I have to return a sweater?' }, { _id: 'q2', text: 'Is shipping free?' }, { _id: 'q3', text: 'Do you sell gift cards?' });
const qrels = tsv('q1\tdoc1\t2', 'q2\t2\t1', 'q2\tdoc1\t0', 'q3\tdoc1\t0');

/** Writes a BEIR triple under `name/`, any part replaced, and loads it. */
function loadSet(name: string, parts: { corpus?: string; queries?: string; qrels?: string } = {}, options: { lenient?: boolean; limit?: number } = {}) {
  const files = {
    corpus: fixtures.write(`${name}/corpus.jsonl`, parts.corpus ?? corpus),
    queries: fixtures.write(`${name}/queries.jsonl`, parts.queries ?? queries),
    qrels: fixtures.write(`${name}/qrels/test.tsv`, parts.qrels ?? qrels),
  };
  return { files, load: beir.load({ ...files, ...options }) };
}

describe('beir on the bundled airline-policy set', () => {
  it('loads one episode per judged query', () => {
    expect(bundled.episodes).toHaveLength(24);
    expect(bundled.episodes[0]).toMatchObject({ id: 'beir/q01', dataset: 'beir', userId: 'beir-user', messages: [] });
    expect(bundled.skipped).toEqual([]);
  });

  it('poses the query as the only turn, probed by its graded judgements', () => {
    expect(bundled.episodes[0]!.turns).toEqual([
      { at: 0, query: "I'm a silver member flying economy. How many checked bags can I bring for free?", probes: [{ kind: 'retrieval', relevant: { 'book-checked-bags': 2 } }] },
    ]);
  });

  it('judges only documents that exist in the corpus', () => {
    const ids = new Set(bundled.episodes[0]!.knowledge.map((d) => d.id));
    for (const e of bundled.episodes) for (const id of Object.keys(relevanceOf(e))) expect(ids).toContain(id);
  });

  it('gives every episode the same corpus array of 25 policy sections', () => {
    const knowledge = bundled.episodes[0]!.knowledge;
    expect(knowledge).toHaveLength(25);
    expect(bundled.episodes.every((e) => e.knowledge === knowledge)).toBe(true);
  });

  it('copies the corpus text verbatim from the tau-bench airline policy', () => {
    const policy = readFileSync(new URL('../../datasets/data/tau-bench-airline/policy.md', import.meta.url), 'utf8');
    for (const doc of bundled.episodes[0]!.knowledge) for (const line of doc.text.split('\n')) expect(policy).toContain(line.replace(/^- /, ''));
  });
});

describe('beir on another corpus', () => {
  it('reads numeric ids, titles and metadata of documents', async () => {
    const { load } = loadSet('small');
    expect((await load).episodes[0]!.knowledge).toEqual([
      { id: 'doc1', title: 'Returns', text: 'Items can be returned within 30 days.' },
      { id: '2', title: '', text: 'Shipping is free over $50.', metadata: { section: 'shipping' } },
    ]);
  });

  it('keeps zero grades in the judgements', async () => {
    const { load } = loadSet('zero-grades');
    expect((await load).episodes[1]!.turns[0]!.probes).toEqual([{ kind: 'retrieval', relevant: { '2': 1, doc1: 0 } }]);
  });

  it('makes no episode of a query without a relevant judgement', async () => {
    const { load } = loadSet('unjudged');
    expect((await load).episodes.map((e) => e.id)).toEqual(['beir/q1', 'beir/q2']);
  });

  it('ignores blank lines and Windows line endings', async () => {
    const { load } = loadSet('crlf', { qrels: tsv('q1\tdoc1\t2\r', '', 'q2\t2\t1\r') });
    expect((await load).episodes).toHaveLength(2);
  });

  it('keeps at most limit episodes', async () => {
    const { load } = loadSet('limit', {}, { limit: 1 });
    expect((await load).episodes.map((e) => e.id)).toEqual(['beir/q1']);
  });
});

describe('beir on malformed files', () => {
  const cases: Array<[string, { corpus?: string; queries?: string; qrels?: string }, 'corpus' | 'queries' | 'qrels', string, string]> = [
    ['a line that is not JSON', { corpus: jsonLines({ _id: 'doc1', text: 'a' }, '{"_id": "doc2", ') }, 'corpus', 'line 2', 'contents'],
    ['a line that is not an object', { queries: jsonLines('["q1", "text"]') }, 'queries', 'line 1', 'line'],
    ['a document without an _id', { corpus: jsonLines({ text: 'a' }) }, 'corpus', 'line 1', '_id'],
    ['a document without text', { corpus: jsonLines({ _id: 'doc1', title: 'Returns' }) }, 'corpus', 'line 1', 'text'],
    ['a document whose text is empty (it could never be found in a context)', { corpus: jsonLines({ _id: 'doc1', title: 'Returns', text: '' }) }, 'corpus', 'line 1', 'text'],
    ['a document whose text is only spaces', { corpus: jsonLines({ _id: 'doc1', text: 'a' }, { _id: 2, text: '   ' }) }, 'corpus', 'line 2', 'text'],
    ['a repeated document _id', { corpus: jsonLines({ _id: 'doc1', text: 'a' }, { _id: 'doc1', text: 'b' }) }, 'corpus', 'line 2', '_id'],
    ['a query without text', { queries: jsonLines({ _id: 'q1' }) }, 'queries', 'line 1', 'text'],
    ['a judgement of an unknown query', { qrels: tsv('q9\tdoc1\t1') }, 'qrels', 'line 2', 'query-id'],
    ['a judgement of an unknown document', { qrels: tsv('q1\tdoc9\t1') }, 'qrels', 'line 2', 'corpus-id'],
    ['a non-numeric score', { qrels: tsv('q1\tdoc1\thigh') }, 'qrels', 'line 2', 'score'],
    ['a row without three columns', { qrels: tsv('q1 doc1 1') }, 'qrels', 'line 2', 'row'],
    ['a repeated judgement', { qrels: tsv('q1\tdoc1\t1', 'q1\tdoc1\t2') }, 'qrels', 'line 3', 'corpus-id'],
    ['a bad qrels header', { qrels: 'query\tdoc\tscore\nq1\tdoc1\t1\n' }, 'qrels', 'line 1', 'header'],
  ];

  for (const [name, parts, fileKey, record, field] of cases) {
    it(`rejects ${name} with a DataError naming file, line and field`, async () => {
      const { files, load } = loadSet(name.replace(/\W+/g, '-'), parts);
      await expectDataError(load, { file: files[fileKey], record, field });
    });
  }

  it('skips and lists malformed lines under lenient', async () => {
    const { files, load } = loadSet('lenient', { corpus: corpus + 'not json\n', qrels: tsv('q1\tdoc1\t2', 'q2\tdoc9\t1', 'q2\t2\t1') }, { lenient: true });
    const loaded = await load;
    expect(loaded.episodes.map((e) => e.id)).toEqual(['beir/q1', 'beir/q2']);
    expect(loaded.skipped).toEqual([
      { file: files.corpus, record: 'line 3', reason: 'contents must be valid JSON' },
      { file: files.qrels, record: 'line 3', reason: 'corpus-id must name a document of the corpus' },
    ]);
  });

  it('still rejects a bad qrels header under lenient', async () => {
    const { load } = loadSet('lenient-header', { qrels: 'qid\tdocid\trel\n' }, { lenient: true });
    await expect(load).rejects.toBeInstanceOf(DataError);
  });
});
