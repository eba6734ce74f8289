import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbedderMismatchError } from '../../../core/memory/embedding.js';
import { HnswVectorStore } from '../../../core/memory/hnsw-store.js';
import { type StoreManifest } from '../../../core/memory/store-format.js';
import type { VectorStore } from '../../../core/memory/types.js';
import { ExactVectorStore, openVectorStore } from '../../../core/memory/vector-store.js';
import { clusteredRecords, clusteredVectors } from '../../support/vectors.js';

const identity = { embedderId: 'test-embedder:16', dimension: 16 };
const kinds: [string, () => VectorStore][] = [
  ['exact', () => new ExactVectorStore(identity)],
  ['hnsw', () => new HnswVectorStore({ ...identity, initialCapacity: 8 })],
];

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'ctxbench-vectors-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const next = clusteredVectors({ dimension: 16, clusters: 6, noise: 0.5, seed: 9 });
const records = clusteredRecords(120, next);
const queries = Array.from({ length: 5 }, next);
const manifestOf = (directory: string) => JSON.parse(readFileSync(join(directory, 'manifest.json'), 'utf8')) as StoreManifest;
const dataFile = (directory: string, role: string) => join(directory, manifestOf(directory).files[role]!.name);
/** Replaces a data file and re-signs it in the manifest, as a consistent-looking but wrong store would be. */
const replaceDataFile = (directory: string, role: string, bytes: Buffer) => {
  const manifest = manifestOf(directory);
  writeFileSync(join(directory, manifest.files[role]!.name), bytes);
  manifest.files[role] = { ...manifest.files[role]!, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  writeFileSync(join(directory, 'manifest.json'), JSON.stringify(manifest));
};
const storeError = (directory: string, problem: string) => expect.objectContaining({ code: 'E_VECTOR_STORE', directory, problem, message: expect.stringContaining(directory) });

describe.each(kinds)('%s store on disk', (kind, createStore) => {
  const saved = (count = 100) => {
    const store = createStore();
    store.add(records.slice(0, count));
    store.delete('v7');
    const directory = join(root, kind);
    store.save(directory);
    return { store, directory };
  };

  it('reloads what it saved: same kind, ids, metadata and search results', () => {
    const { store, directory } = saved();
    const reopened = openVectorStore(directory);
    expect(reopened).toBeInstanceOf(store.constructor);
    expect(reopened.size).toBe(99);
    expect(reopened.has('v7')).toBe(false);
    for (const query of queries) expect(reopened.search(query, 10)).toEqual(store.search(query, 10));
    expect(reopened.search(queries[0]!, 5, (metadata) => metadata.userId === 'u3').every((hit) => Number(hit.id.slice(1)) % 5 === 3)).toBe(true);
  });

  it('keeps accepting vectors after a reload, past the saved capacity', () => {
    const { directory } = saved(10);
    const reopened = openVectorStore(directory);
    reopened.add(records.slice(10));
    expect(reopened.size).toBe(119);
    expect(reopened.search(records[110]!.vector, 1)[0]!.id).toBe('v110');
  });

  it('saves over an earlier save and leaves only the new generation beside the manifest', () => {
    const { store, directory } = saved();
    store.add(records.slice(100));
    store.save(directory);
    expect(openVectorStore(directory).size).toBe(119);
    const files = readdirSync(directory).sort();
    expect(files).toEqual(['manifest.json', ...Object.values(manifestOf(directory).files).map((file) => file.name)].sort());
  });

  it('still loads the last good store when a save dies between the data files and the manifest', () => {
    const { store, directory } = saved();
    store.add(records.slice(100));
    mkdirSync(join(directory, `manifest.json.tmp-${process.pid}`));
    expect(() => store.save(directory)).toThrow(expect.objectContaining({ problem: 'write', directory }));
    expect(openVectorStore(directory).size).toBe(99);
    rmSync(join(directory, `manifest.json.tmp-${process.pid}`), { recursive: true });
    store.save(directory);
    expect(openVectorStore(directory).size).toBe(119);
  });

  it('loads despite stale temp files and a half-written data file of an unfinished save', () => {
    const { directory } = saved();
    writeFileSync(join(directory, 'records.99.json.tmp-12345'), '{"ids": [');
    writeFileSync(join(directory, 'vectors.99.f32'), Buffer.alloc(10));
    writeFileSync(join(directory, 'notes.txt'), 'kept: not a store file');
    const reopened = openVectorStore(directory);
    expect(reopened.size).toBe(99);
    reopened.save(directory);
    expect(readdirSync(directory)).not.toContain('vectors.99.f32');
    expect(readdirSync(directory)).toContain('notes.txt');
  });

  it('refuses a truncated data file with an error naming the directory', () => {
    const { directory } = saved();
    const path = dataFile(directory, 'vectors');
    writeFileSync(path, readFileSync(path).subarray(0, 100));
    expect(() => openVectorStore(directory)).toThrow(storeError(directory, 'corrupt'));
  });

  it('refuses a data file changed in place (checksum mismatch)', () => {
    const { directory } = saved();
    const path = dataFile(directory, 'records');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"u1"', '"u2"'));
    expect(() => openVectorStore(directory)).toThrow(storeError(directory, 'checksum'));
  });

  it('refuses a store of another embedder or dimension than the caller expects', () => {
    const { directory } = saved();
    expect(() => openVectorStore(directory, { expected: { embedderId: 'openai:text-embedding-3-small', dimension: 1536 } })).toThrow(EmbedderMismatchError);
    expect(() => openVectorStore(directory, { expected: { embedderId: identity.embedderId, dimension: 32 } })).toThrow(directory);
    expect(openVectorStore(directory, { expected: identity }).size).toBe(99);
  });
});

describe('store directories that cannot be opened', () => {
  it('is a missing-store error when there is no manifest, never an empty store', () => {
    expect(() => openVectorStore(join(root, 'nothing-here'))).toThrow(storeError(join(root, 'nothing-here'), 'missing'));
  });

  it('is a corrupt-store error when the manifest is not JSON', () => {
    writeFileSync(join(root, 'manifest.json'), '{"format": "ctxbench-vector-st');
    expect(() => openVectorStore(root)).toThrow(storeError(root, 'corrupt'));
  });

  it('names the bad manifest key, and calls a newer format version a mismatch', () => {
    new ExactVectorStore(identity).save(root);
    const manifest = manifestOf(root);
    writeFileSync(join(root, 'manifest.json'), JSON.stringify({ ...manifest, dimension: -3 }));
    expect(() => openVectorStore(root)).toThrow(/dimension/);
    writeFileSync(join(root, 'manifest.json'), JSON.stringify({ ...manifest, version: 2 }));
    expect(() => openVectorStore(root)).toThrow(storeError(root, 'mismatch'));
  });

  it('is a missing-store error when a data file the manifest names is gone', () => {
    new ExactVectorStore(identity).save(root);
    rmSync(dataFile(root, 'vectors'));
    expect(() => openVectorStore(root)).toThrow(storeError(root, 'missing'));
  });

  it('refuses an HNSW index whose vectors have another dimension than the manifest says', () => {
    const small = join(root, 'small');
    const large = join(root, 'large');
    new HnswVectorStore(identity).save(small);
    new HnswVectorStore({ ...identity, dimension: 32 }).save(large);
    replaceDataFile(small, 'index', readFileSync(dataFile(large, 'index')));
    expect(() => openVectorStore(small)).toThrow(storeError(small, 'mismatch'));
  });

  // hnswlib given a malformed file throws and leaves a native object that crashes Node when collected,
  // so these must be caught in JS; re-signing the file gets them past the checksum.
  const malformedIndexes: [string, (index: Buffer) => Buffer, RegExp][] = [
    ['cut after its header', (index) => Buffer.concat([index.subarray(0, 96), Buffer.alloc(8)]), /header is inconsistent/],
    ['too short for a header', () => Buffer.alloc(20), /too few for an hnswlib header/],
    ['with a link past the last slot', (index) => Buffer.from(index).fill(0xff, 96 + 4, 96 + 8).fill(1, 96, 97), /a link to slot 4294967295/],
    ['with bytes after its last slot', (index) => Buffer.concat([index, Buffer.alloc(4)]), /4 bytes after its last slot/],
  ];

  it.each(malformedIndexes)('is a corrupt-store error, found before hnswlib reads it, for an index %s', (_, mutate, message) => {
    const store = new HnswVectorStore(identity);
    store.add(records.slice(0, 20));
    store.save(root);
    replaceDataFile(root, 'index', mutate(readFileSync(dataFile(root, 'index'))));
    expect(() => openVectorStore(root)).toThrow(storeError(root, 'corrupt'));
    expect(() => openVectorStore(root)).toThrow(message);
  });

  it('is a corrupt-store error naming the file when a data file is not valid JSON or has a bad key', () => {
    new ExactVectorStore(identity).save(root);
    replaceDataFile(root, 'records', Buffer.from('{"ids": ['));
    expect(() => openVectorStore(root)).toThrow(/records\.1\.json is not valid JSON/);
    replaceDataFile(root, 'records', Buffer.from('{"ids": ["a", "a"], "metadata": [{}, {}]}'));
    expect(() => openVectorStore(root)).toThrow(storeError(root, 'corrupt'));
  });
});

describe('HNSW store reload', () => {
  it('searches at the saved ef after a reload, not at hnswlib\'s default of 10', () => {
    const dimension = 64;
    const vectors = clusteredVectors({ dimension, clusters: 20, noise: 2, seed: 42 });
    const store = new HnswVectorStore({ embedderId: 'x', dimension, ef: 200 });
    const exact = new ExactVectorStore({ embedderId: 'x', dimension });
    const all = clusteredRecords(2000, vectors);
    store.add(all);
    exact.add(all);
    store.save(root);
    const reopened = openVectorStore(root) as HnswVectorStore;
    expect(reopened.ef).toBe(200);
    let found = 0;
    for (const query of Array.from({ length: 30 }, vectors)) {
      const expected = new Set(exact.search(query, 10).map((hit) => hit.id));
      found += reopened.search(query, 10).filter((hit) => expected.has(hit.id)).length;
    }
    expect(found / 300).toBeGreaterThanOrEqual(0.95);
  });

  it('lets the caller override ef when opening', () => {
    new HnswVectorStore({ ...identity, ef: 200 }).save(root);
    expect((openVectorStore(root, { ef: 321 }) as HnswVectorStore).ef).toBe(321);
  });
});
