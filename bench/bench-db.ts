import pg from 'pg';

/** The benchmark's PostgreSQL: BENCH_PG (an admin URL) and the database name a script uses. */
export const benchAdminUrl = process.env.BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function benchDatabaseUrl(name: string): string {
  const u = new URL(benchAdminUrl);
  u.pathname = '/' + name;
  return u.toString();
}

/** The database generate-observations.ts fills and search-observations.ts reads. */
export const observationDb = process.env.BENCH_DB ?? 'serium_bench_obs';

/** The generated data set's shape: BENCH_PATIENTS patients, BENCH_DAYS days ending 2026-11-01. */
export const patients = Number(process.env.BENCH_PATIENTS ?? 1000);
export const days = Number(process.env.BENCH_DAYS ?? 365);
export const firstDay = new Date(Date.parse('2026-11-01T00:00:00Z') - days * 86_400_000).toISOString();

/** Runs one statement on its own connection to the database at url; returns the rows. */
export async function sql<T = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}
