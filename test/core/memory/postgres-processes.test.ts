import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MEMORY_TABLE } from '../../../core/memory/postgres-schema.js';
import type { MemoryInput, StoreResult } from '../../../core/memory/long-term.js';
import type { Memory } from '../../../core/memory/types.js';
import type { MemoryCommand } from '../../support/memory-process.js';
import { servedPglite, type ServedPglite } from '../../support/postgres.js';

// Two agent servers are two processes: each runs test/support/memory-process.ts, connects to the
// same PostgreSQL (PGlite served on a loopback socket by this test) with the `pg` client, and
// stores and searches long-term memory there.

const WORKER = fileURLToPath(new URL('../../support/memory-process.ts', import.meta.url));

/** A child process answering one JSON line per command, in order. */
class MemoryProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: Array<(line: string) => void> = [];
  private stderr = '';

  constructor(url: string) {
    this.child = spawn(process.execPath, ['--import', 'tsx', WORKER, url], { stdio: 'pipe' });
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    createInterface({ input: this.child.stdout }).on('line', (line) => this.waiting.shift()?.(line));
  }

  get pid(): number {
    return this.child.pid!;
  }

  async send<T>(command: MemoryCommand): Promise<T> {
    const answer = new Promise<string>((resolve, reject) => {
      this.waiting.push(resolve);
      this.child.once('exit', (code) => reject(new Error(`memory process exited (${code}): ${this.stderr}`)));
    });
    this.child.stdin.write(`${JSON.stringify(command)}\n`);
    const reply = JSON.parse(await answer) as { pid: number; ok: boolean; result?: T; error?: string };
    if (!reply.ok) throw new Error(`memory process ${reply.pid}: ${reply.error}`);
    return reply.result as T;
  }

  async exit(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.write(`${JSON.stringify({ op: 'exit' })}\n`);
    await exited;
  }
}

const fact = (userId: string, content: string): MemoryInput => ({ userId, content, type: 'semantic' });
const FACTS = [
  'Prefers email over phone calls.',
  'Lives in Lisbon, Portugal.',
  'Owns a golden retriever named Max.',
  'Was charged twice for invoice 8812.',
  'Uses the Pro plan with 12 seats.',
  'Cancelled reservation ZFA04Y last March.',
  'Speaks Portuguese and French.',
  'Router model RX-300 drops wifi at night.',
];

let served: ServedPglite;
let first: MemoryProcess;
let second: MemoryProcess;

beforeAll(async () => {
  served = await servedPglite();
  first = new MemoryProcess(served.url);
  second = new MemoryProcess(served.url);
  // Both open the store at once: the migrations run once, under the store's advisory lock.
  await Promise.all([first.send({ op: 'list', userId: 'nobody' }), second.send({ op: 'list', userId: 'nobody' })]);
});
beforeEach(async () => {
  await served.db.exec(`TRUNCATE ${MEMORY_TABLE} RESTART IDENTITY`);
});
afterAll(async () => {
  await Promise.all([first?.exit(), second?.exit()]);
  await served?.stop();
});

describe('long-term memory shared by two processes', () => {
  it('runs as two operating-system processes', () => {
    expect(new Set([process.pid, first.pid, second.pid]).size).toBe(3);
  });

  it('each process finds the memories the other committed', async () => {
    await first.send<StoreResult[]>({ op: 'store', inputs: [fact('alice', 'Alice prefers email over phone calls.')] });
    const found = await second.send<Memory[]>({ op: 'search', query: 'how does Alice want to be contacted? email', userId: 'alice', k: 1 });
    expect(found.map((memory) => memory.content)).toEqual(['Alice prefers email over phone calls.']);
    await second.send<StoreResult[]>({ op: 'store', inputs: [fact('bob', 'Bob lives in Lisbon.')] });
    expect((await first.send<Memory[]>({ op: 'list', userId: 'bob' })).map((memory) => memory.content)).toEqual(['Bob lives in Lisbon.']);
  });

  it('writes of both processes at once all land, each user in its own partition', async () => {
    await Promise.all([
      first.send({ op: 'store', inputs: FACTS.slice(0, 4).map((content) => fact('carol', content)) }),
      second.send({ op: 'store', inputs: FACTS.slice(4).map((content) => fact('carol', content)) }),
      second.send({ op: 'store', inputs: [fact('dave', FACTS[0]!)] }),
    ]);
    const [seenByFirst, seenBySecond] = await Promise.all([first.send<Memory[]>({ op: 'list', userId: 'carol' }), second.send<Memory[]>({ op: 'list', userId: 'carol' })]);
    expect(seenByFirst.map((memory) => memory.content).sort()).toEqual([...FACTS].sort());
    expect(seenBySecond).toEqual(seenByFirst);
    expect((await first.send<Memory[]>({ op: 'list', userId: 'dave' })).map((memory) => memory.userId)).toEqual(['dave']);
  });

  it('two processes storing the same facts at the same moment keep one memory per fact', async () => {
    const inputs = FACTS.map((content) => fact('erin', content));
    const [fromFirst, fromSecond] = await Promise.all([first.send<StoreResult[]>({ op: 'store', inputs }), second.send<StoreResult[]>({ op: 'store', inputs })]);
    const memories = await first.send<Memory[]>({ op: 'list', userId: 'erin' });
    expect(memories.map((memory) => memory.content).sort()).toEqual([...FACTS].sort());
    const actions = [...fromFirst, ...fromSecond].map((result) => result.action);
    expect(actions.filter((action) => action === 'added')).toHaveLength(FACTS.length);
    expect(new Set([...fromFirst, ...fromSecond].map((result) => result.memory.id))).toEqual(new Set(memories.map((memory) => memory.id)));
  });
});
