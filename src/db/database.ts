import { createHash } from 'node:crypto';
import pg from 'pg';

export interface QueryResult<T> {
  rows: T[];
  rowCount: number | null;
}

export interface QueryOptions {
  /**
   * Run as a named prepared statement, so PostgreSQL plans it once per connection. For the hot,
   * fixed-shape statements only: every distinct text becomes a statement on every connection.
   */
  prepare?: boolean;
}

/** Anything that runs SQL: the pool or a client inside a transaction. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], options?: QueryOptions): Promise<QueryResult<T>>;
}

const statementNames = new Map<string, string>();

function toConfig(sql: string, params: unknown[] | undefined, options: QueryOptions | undefined): pg.QueryConfig {
  if (!options?.prepare) return { text: sql, values: params };
  let name = statementNames.get(sql);
  if (!name) statementNames.set(sql, (name = `s${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`));
  return { name, text: sql, values: params };
}

export interface Database extends Queryable {
  /** Runs fn inside BEGIN/COMMIT on one connection; rolls back if fn throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
  /** 'postgres' for an external server, 'embedded' for PGlite. */
  readonly kind: 'postgres' | 'embedded';
}

// bigint and numeric come back as strings by default; counts and version ids fit in a JS number.
pg.types.setTypeParser(20, (v) => Number(v));

export function createPoolDatabase(pool: pg.Pool, kind: Database['kind'], onClose?: () => Promise<void>): Database {
  return {
    kind,
    query: (sql, params, options) => pool.query(toConfig(sql, params, options)) as never,
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn({ query: (sql, params, options) => client.query(toConfig(sql, params, options)) as never });
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async ping() {
      try {
        await pool.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await pool.end();
      await onClose?.();
    },
  };
}

export function connectPostgres(url: string, poolSize: number): Database {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', () => undefined);
  return createPoolDatabase(pool, 'postgres');
}
