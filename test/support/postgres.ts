import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** Real PostgreSQL (PGlite: PostgreSQL compiled to WebAssembly, in this process) with pgvector. */
export function pglite(): Promise<PGlite> {
  return PGlite.create({ extensions: { vector } });
}

/**
 * One PGlite for the calling test file, emptied before each test: returns a getter, since the
 * database exists only once `beforeAll` has run.
 */
export function pgliteEmptiedEachTest(): () => PGlite {
  let db: PGlite | undefined;
  beforeAll(async () => {
    db = await pglite();
  });
  beforeEach(async () => {
    await db!.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
  });
  afterAll(() => db?.close());
  return () => db!;
}

/** A PGlite database served over the PostgreSQL wire protocol on a loopback port, for the `pg` client. */
export interface ServedPglite {
  db: PGlite;
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  stop(): Promise<void>;
}

/** Serves a fresh PGlite on 127.0.0.1 (an ephemeral port); its multiplexer keeps each transaction on its own connection. */
export async function servedPglite(): Promise<ServedPglite> {
  const db = await pglite();
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 32 });
  await server.start();
  return {
    db,
    url: `postgres://postgres@${server.getServerConn()}/postgres`,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}
