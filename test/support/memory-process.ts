// A separate agent-server process for the multi-process tests: it connects to the PostgreSQL
// memory store at argv[2] with the `pg` client and runs the JSON commands it reads, one per line
// on stdin, answering each with one JSON line on stdout. Commands run one at a time, in order.
import { createInterface } from 'node:readline';
import { HashingEmbedder, identityOf } from '../../core/memory/embedding.js';
import { LongTermMemory, type MemoryInput } from '../../core/memory/long-term.js';
import { connectPostgresMemoryStore } from '../../core/memory/postgres-store.js';

/** What the parent asks of a memory process. */
export type MemoryCommand =
  | { op: 'store'; inputs: MemoryInput[] }
  | { op: 'search'; query: string; userId: string; k?: number }
  | { op: 'list'; userId: string }
  | { op: 'exit' };

const embedder = new HashingEmbedder({ dimension: 256 });
const store = connectPostgresMemoryStore(process.argv[2]!, { embedder: identityOf(embedder), maxConnections: 2 });
const memory = new LongTermMemory({ embedder, store, now: () => new Date('2024-02-01T00:00:00Z') });

async function run(command: MemoryCommand): Promise<unknown> {
  switch (command.op) {
    case 'store':
      return Promise.all(command.inputs.map((input) => memory.store(input)));
    case 'search':
      return (await memory.search(command.query, { userId: command.userId, k: command.k ?? 10 })).map((hit) => hit.memory);
    case 'list':
      return memory.list(command.userId);
    case 'exit':
      await store.close();
      return 'bye';
  }
}

let queue = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  queue = queue.then(async () => {
    const command = JSON.parse(line) as MemoryCommand;
    try {
      process.stdout.write(`${JSON.stringify({ pid: process.pid, ok: true, result: await run(command) })}\n`);
    } catch (error) {
      process.stdout.write(`${JSON.stringify({ pid: process.pid, ok: false, error: (error as Error).message })}\n`);
    }
    if (command.op === 'exit') process.exit(0);
  });
});
