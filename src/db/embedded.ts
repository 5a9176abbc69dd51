import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { createPoolDatabase, type Database } from './database.js';

/**
 * Embedded PostgreSQL (PGlite) persisted under dataDir, served on a loopback socket so the
 * same `pg` code path and SQL serve it. PGlite runs one session at a time, so the pool has one client.
 */
export async function startEmbedded(dataDir: string): Promise<Database> {
  const dir = resolve(dataDir, 'pglite');
  mkdirSync(dir, { recursive: true });
  const db = await PGlite.create(dir);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0 });
  await server.start();
  const address = server.getServerConn();
  const [host, port] = address.split(':');
  const pool = new pg.Pool({ host, port: Number(port), user: 'postgres', database: 'postgres', max: 1 });
  pool.on('error', () => undefined);
  return createPoolDatabase(pool, 'embedded', async () => {
    await server.stop();
    await db.close();
  });
}
