import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FAQ_SHAPE, writeBankingBeir } from '../../bench/beir-banking.js';
import { beir } from '../../datasets/beir.js';

const dir = mkdtempSync(join(tmpdir(), 'ctxbench-beir-banking-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the banking77 FAQ corpus of bench/beir-banking.ts', () => {
  const files = writeBankingBeir(dir);

  it('loads with the beir loader: one episode per query, whose relevant documents are its own intent\'s two', async () => {
    const { episodes } = await beir.load({ ...beir.defaults(), corpus: files.corpus, queries: files.queries, qrels: files.qrels });
    expect(files.documents).toBe(154);
    expect(episodes).toHaveLength(files.queryCount);
    const intentOf = new Map(readFileSync(files.corpus, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { _id: string; title: string }).map((doc) => [doc._id, doc.title]));
    for (const episode of episodes) {
      const probe = episode.turns[0]!.probes[0] as { kind: string; relevant: Record<string, number> };
      expect(probe.kind).toBe('retrieval');
      const relevant = Object.keys(probe.relevant);
      expect(relevant).toHaveLength(2);
      expect(new Set(relevant.map((id) => intentOf.get(id))).size).toBe(1);
    }
  });

  it('holds its queries out of the documents', () => {
    const documentLines = new Set(readFileSync(files.corpus, 'utf8').trim().split('\n').flatMap((line) => (JSON.parse(line) as { text: string }).text.split('\n')));
    const queries = readFileSync(files.queries, 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as { text: string }).text);
    expect(queries.length).toBeGreaterThan(200);
    expect(queries.filter((query) => documentLines.has(query))).toEqual([]);
  });
});

describe('another cut of the banking77 corpus', () => {
  it('makes single-example documents, nine per intent, each query relevant to its intent\'s nine', async () => {
    const single = mkdtempSync(join(tmpdir(), 'ctxbench-beir-banking-single-'));
    try {
      const files = writeBankingBeir(single, { ...FAQ_SHAPE, examplesPerDocument: 1, documentsPerIntent: 9 });
      const { episodes } = await beir.load({ ...beir.defaults(), corpus: files.corpus, queries: files.queries, qrels: files.qrels });
      expect(files.documents).toBe(77 * 9);
      expect(episodes.every((episode) => Object.keys((episode.turns[0]!.probes[0] as { relevant: Record<string, number> }).relevant).length === 9)).toBe(true);
    } finally {
      rmSync(single, { recursive: true, force: true });
    }
  });
});
