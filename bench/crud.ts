/**
 * CRUD benchmark. Starts Serium (compiled: `npm run build` first) as its own process on a fresh
 * PostgreSQL database and drives it with wrk (Debian package `wrk`, a C load generator, so the
 * client costs little of the two cores): create, read, create+read 50/50 and search, each for
 * BENCH_SECONDS. Prints throughput, p50/p99 latency, the server's peak RSS, and the same rows
 * inserted straight into PostgreSQL for comparison.
 * Settings: BENCH_SECONDS (10), BENCH_CONCURRENCY (32), BENCH_PG (admin URL), BENCH_PROFILE=1
 * (every Observation claims the R4 heart-rate profile, validated on write), BENCH_KEEP=1.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { phaseTable, requireWrk, wrk, type Phase } from './wrk-run.js';
import { serve } from './serve.js';
import { benchAdminUrl, benchDatabaseUrl, sql } from './bench-db.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const C = Number(process.env.BENCH_CONCURRENCY ?? 32);
const admin = benchAdminUrl;
const port = Number(process.env.BENCH_PORT ?? 18080);
const withProfile = process.env.BENCH_PROFILE === '1';
const dbName = 'serium_bench';
const dbUrl = benchDatabaseUrl(dbName);

/** The created rows again, inserted straight into PostgreSQL by C connections, one row per statement. */
async function directInserts(rows: string[]): Promise<Phase> {
  const pool = new pg.Pool({ connectionString: dbUrl, max: C });
  await pool.query(`CREATE TABLE bench_direct (LIKE resource_version_observation)`);
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (next < rows.length) {
        const i = next++;
        const t = performance.now();
        await pool.query(
          `INSERT INTO bench_direct (tenant, resource_type, id, version_id, last_updated, deleted, method, content)
           VALUES ('default', 'Observation', $1, 1, now(), false, 'POST', $2)`,
          [`d${i}`, rows[i]],
        );
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await pool.end();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))];
  return { name: 'direct INSERT, PostgreSQL alone', requests: rows.length, perSecond: rows.length / elapsed, p50: pct(0.5), p99: pct(0.99), errors: 0 };
}

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}

async function main(): Promise<void> {
  requireWrk();
  await sql(admin, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await sql(admin, `CREATE DATABASE ${dbName}`);
  const server = await serve({ DATABASE_URL: dbUrl, DB_POOL_SIZE: '16' }, port);
  try {
    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(server.pid as number))), 100);
    const env = { BENCH_PROFILE: withProfile ? '1' : '0' };
    const base = `http://127.0.0.1:${port}`;
    const opts = { connections: C, seconds };
    const phases: Phase[] = [wrk('create (POST Observation)', 'create.lua', `${base}/fhir/Observation`, { ...opts, env })];
    // A bulk load leaves fresh tables without planner statistics and with autovacuum about to
    // start on all of them; settle that first so the next phases measure the steady state.
    await sql(dbUrl, 'VACUUM ANALYZE');
    const idsFile = join(mkdtempSync(join(tmpdir(), 'serium-bench-')), 'ids.txt');
    const ids = await sql<{ id: string }>(dbUrl, `SELECT id FROM resource WHERE resource_type = 'Observation' ORDER BY random() LIMIT 20000`);
    writeFileSync(idsFile, ids.map((r) => r.id).join('\n') + '\n');
    phases.push(wrk('read (GET Observation/id)', 'read.lua', `${base}/`, { ...opts, env: { ...env, BENCH_IDS: idsFile } }));
    phases.push(wrk('create+read 50/50', 'mixed.lua', `${base}/`, { ...opts, env: { ...env, BENCH_IDS: idsFile } }));
    phases.push(wrk('search (subject+code+one day)', 'search.lua', `${base}/`, opts));
    clearInterval(sampler);
    const created = await sql<{ content: string }>(dbUrl, `SELECT content FROM resource_version WHERE resource_type = 'Observation' LIMIT 20000`);
    phases.push(await directInserts(created.map((r) => r.content)));
    const [{ n }] = await sql<{ n: number }>(dbUrl, `SELECT count(*)::int AS n FROM resource WHERE resource_type = 'Observation'`);

    console.log(`\nSerium CRUD benchmark, ${new Date().toISOString().slice(0, 10)}`);
    console.log(
      `machine: ${cpus().length} x ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB; node ${process.version}; ` +
        `wrk 2 threads, ${C} connections, ${seconds} s per phase; Observations ${withProfile ? 'claim the heart-rate profile' : 'claim no profile'}; ${n} stored at the end`,
    );
    console.log('\n' + phaseTable(phases));
    console.log(`\nserver peak RSS during the HTTP phases: ${peakRss.toFixed(0)} MB`);
    console.log(`create throughput is ${((100 * phases[0].perSecond) / phases[4].perSecond).toFixed(1)}% of PostgreSQL's own single-row INSERT rate for the same rows`);
  } finally {
    await server.stop();
    if (process.env.BENCH_KEEP !== '1') await sql(admin, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
