import pg from 'pg';
import { connectPostgres } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { silentLogger } from '../src/logger.js';

/** The PostgreSQL server tests run against: TEST_DATABASE_URL, or the local one. */
export const adminUrl = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
/** Set by the jest global setup; every database of one run starts with this prefix. */
export const runPrefix = `serium_test_${process.env.SERIUM_TEST_RUN ?? 'local'}`;
export const templateName = `${runPrefix}_template`;

export function databaseUrl(name: string): string {
  const u = new URL(adminUrl);
  u.pathname = '/' + name;
  return u.toString();
}

export async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates the migrated template database once per run (test files race for it under an
 * advisory lock); each test file then clones its own database from it.
 */
export async function ensureTemplate(): Promise<void> {
  await withAdmin(async (c) => {
    await c.query('SELECT pg_advisory_lock(7375727)');
    try {
      const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [templateName]);
      if (exists.rowCount) return;
      await c.query(`CREATE DATABASE ${templateName}_building`);
      const db = connectPostgres(databaseUrl(`${templateName}_building`), 1);
      try {
        await migrate(db, silentLogger);
      } finally {
        await db.close();
      }
      await c.query(`ALTER DATABASE ${templateName}_building RENAME TO ${templateName}`);
    } finally {
      await c.query('SELECT pg_advisory_unlock(7375727)');
    }
  });
}
