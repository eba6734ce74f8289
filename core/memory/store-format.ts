import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { writeFileAtomically } from '../fs.js';
import { join } from 'node:path';
import { z } from 'zod';
import { CtxbenchError } from '../errors.js';
import { firstIssue } from '../validation.js';

/** Why a store directory could not be read or written. */
export type StoreProblem = 'missing' | 'corrupt' | 'checksum' | 'mismatch' | 'write';

/** A store directory is missing, corrupt, from another embedder or dimension, or could not be written. */
export class VectorStoreError extends CtxbenchError {
  constructor(
    readonly directory: string,
    readonly problem: StoreProblem,
    message: string,
    hint?: string,
  ) {
    super('E_VECTOR_STORE', `vector store ${directory}: ${message}`, hint);
  }
}

export const STORE_FORMAT = 'ctxbench-vector-store';
export const STORE_FORMAT_VERSION = 1;
const MANIFEST = 'manifest.json';
/** Data files are `<role>.<generation>.<extension>`; temp files add `.tmp-<pid>`. */
const OWNED_FILE = /^(?:[a-z]+\.\d+\.[a-z0-9]+|manifest\.json)(?:\.tmp-\d+)?$/;
const DATA_FILE = /^[a-z]+\.(\d+)\.[a-z0-9]+$/;

const manifestSchema = z.object({
  format: z.literal(STORE_FORMAT),
  version: z.literal(STORE_FORMAT_VERSION),
  kind: z.enum(['exact', 'hnsw']),
  embedderId: z.string().min(1),
  dimension: z.number().int().min(1),
  count: z.number().int().min(0),
  generation: z.number().int().min(1),
  files: z.record(z.string(), z.object({ name: z.string().regex(DATA_FILE, 'must be a plain data file name'), bytes: z.number().int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/) })),
});

/** The manifest, written last: it names the data files of one generation and their checksums. */
export type StoreManifest = z.infer<typeof manifestSchema>;
export type StoreKind = StoreManifest['kind'];

/** What a store says about itself when saved. */
export interface StoreHeader {
  kind: StoreKind;
  embedderId: string;
  dimension: number;
  count: number;
}

/** One data file of a store: its role (the key in the manifest), its extension, and how to write it to a path. */
export interface StoreFile {
  role: string;
  extension: string;
  write: (path: string) => void;
}

/** A verified store directory: its manifest, and the data files whose checksums matched. */
export interface StoreSnapshot {
  directory: string;
  manifest: StoreManifest;
  /** The path of a data file, by role. */
  path(role: string): string;
  /** The bytes of a data file, by role (already checksum-verified). */
  read(role: string): Buffer;
}

/**
 * Writes a store to `directory` so that a crash at any point leaves the last good store loadable:
 * data files of a new generation go to temp files, are fsynced and renamed, then the manifest is
 * replaced the same way, and only then are the old generation's files removed.
 */
export function writeStore(directory: string, header: StoreHeader, files: readonly StoreFile[]): void {
  try {
    mkdirSync(directory, { recursive: true });
    const generation = nextGeneration(directory);
    const entries: StoreManifest['files'] = {};
    for (const file of files) {
      const name = `${file.role}.${generation}.${file.extension}`;
      writeFileAtomically(join(directory, name), file.write);
      const bytes = readFileSync(join(directory, name));
      entries[file.role] = { name, bytes: bytes.length, sha256: sha256(bytes) };
    }
    const manifest: StoreManifest = { format: STORE_FORMAT, version: STORE_FORMAT_VERSION, ...header, generation, files: entries };
    writeFileAtomically(join(directory, MANIFEST), (temp) => writeFileSync(temp, `${JSON.stringify(manifest, null, 2)}\n`));
    syncDirectory(directory);
    removeStaleFiles(directory, new Set(Object.values(entries).map((entry) => entry.name)));
  } catch (cause) {
    if (cause instanceof VectorStoreError) throw cause;
    const error = new VectorStoreError(directory, 'write', `could not be saved: ${(cause as Error).message}`, 'check that the directory is writable and the disk has room; the last saved store is intact');
    error.cause = cause;
    throw error;
  }
}

/** Reads and verifies a store directory; throws a {@link VectorStoreError} naming the directory and the problem. */
export function readStore(directory: string): StoreSnapshot {
  const manifestPath = join(directory, MANIFEST);
  if (!existsSync(manifestPath)) {
    throw new VectorStoreError(directory, 'missing', `no ${MANIFEST} (not a saved vector store)`, 'pass the directory a store was saved to');
  }
  const manifest = parseManifest(directory, readFileSync(manifestPath, 'utf8'));
  const contents = new Map<string, Buffer>();
  for (const entry of Object.values(manifest.files)) {
    const path = join(directory, entry.name);
    if (!existsSync(path)) throw new VectorStoreError(directory, 'missing', `data file ${entry.name} named by ${MANIFEST} is missing`, 'restore the directory from a backup or rebuild the store');
    const bytes = readFileSync(path);
    if (bytes.length !== entry.bytes) {
      throw new VectorStoreError(directory, 'corrupt', `${entry.name} has ${bytes.length} bytes, ${MANIFEST} says ${entry.bytes} (truncated?)`, 'restore the directory from a backup or rebuild the store');
    }
    if (sha256(bytes) !== entry.sha256) throw new VectorStoreError(directory, 'checksum', `${entry.name} does not match its sha256 in ${MANIFEST}`, 'restore the directory from a backup or rebuild the store');
    contents.set(entry.name, bytes);
  }
  const entryOf = (role: string) => {
    const entry = manifest.files[role];
    if (!entry) throw new VectorStoreError(directory, 'corrupt', `${MANIFEST} names no "${role}" file for a ${manifest.kind} store`, 'rebuild the store');
    return entry;
  };
  return {
    directory,
    manifest,
    path: (role) => join(directory, entryOf(role).name),
    read: (role) => contents.get(entryOf(role).name)!,
  };
}

/** Parses a data file's JSON against a schema; a failure is a corrupt store naming the file and key. */
export function parseStoreJson<T>(snapshot: StoreSnapshot, role: string, schema: z.ZodType<T>): T {
  const name = snapshot.manifest.files[role]?.name ?? role;
  let data: unknown;
  try {
    data = JSON.parse(snapshot.read(role).toString('utf8'));
  } catch (cause) {
    if (cause instanceof VectorStoreError) throw cause;
    throw new VectorStoreError(snapshot.directory, 'corrupt', `${name} is not valid JSON`, 'restore the directory from a backup or rebuild the store');
  }
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issue = firstIssue(data, parsed.error);
  throw new VectorStoreError(snapshot.directory, 'corrupt', `${name}: ${issue.key} ${issue.problem}`, 'restore the directory from a backup or rebuild the store');
}

function parseManifest(directory: string, text: string): StoreManifest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new VectorStoreError(directory, 'corrupt', `${MANIFEST} is not valid JSON`, 'restore the directory from a backup or rebuild the store');
  }
  const parsed = manifestSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issue = firstIssue(data, parsed.error);
  const problem = issue.key === 'version' || issue.key === 'format' ? 'mismatch' : 'corrupt';
  throw new VectorStoreError(directory, problem, `${MANIFEST}: ${issue.key} ${issue.problem} (value ${JSON.stringify(issue.value)})`, `this reader understands ${STORE_FORMAT} version ${STORE_FORMAT_VERSION}`);
}

/** One past the highest generation of any data file present, so a new save never overwrites a file the manifest names. */
function nextGeneration(directory: string): number {
  let highest = 0;
  for (const name of readdirSync(directory)) {
    const match = DATA_FILE.exec(name);
    if (match) highest = Math.max(highest, Number(match[1]));
  }
  return highest + 1;
}

export { writeFileAtomically } from '../fs.js';

/** Makes the renames durable; not every platform can fsync a directory, and there it is skipped. */
function syncDirectory(directory: string): void {
  let descriptor: number | undefined;
  try {
    descriptor = openSync(directory, 'r');
    fsyncSync(descriptor);
  } catch {
    // Windows cannot open a directory for fsync; renames there are durable enough.
  } finally {
    if (descriptor !== undefined) closeSync(descriptor);
  }
}

/** Removes old generations and temp files left by crashed saves; never touches files the store did not write. */
function removeStaleFiles(directory: string, keep: ReadonlySet<string>): void {
  for (const name of readdirSync(directory)) {
    if (name === MANIFEST || keep.has(name) || !OWNED_FILE.test(name)) continue;
    if (statSync(join(directory, name)).isFile()) rmSync(join(directory, name), { force: true });
  }
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
