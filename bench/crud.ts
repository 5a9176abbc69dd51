/**
 * CRUD benchmark: starts Serium (compiled, `npm run build` first) as its own process against a
 * fresh PostgreSQL database, drives it over HTTP with concurrency, and prints throughput and
 * latency per phase, the server's peak RSS, and the same rows inserted straight into
 * PostgreSQL for comparison. Settings: BENCH_N, BENCH_CONCURRENCY, BENCH_PG (admin URL).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import pg from 'pg';

const N = Number(process.env.BENCH_N ?? 20000);
const C = Number(process.env.BENCH_CONCURRENCY ?? 32);
const admin = process.env.BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = 'serium_bench';
const port = Number(process.env.BENCH_PORT ?? 18080);
const base = `http://127.0.0.1:${port}/fhir`;

const dbUrl = (() => {
  const u = new URL(admin);
  u.pathname = '/' + dbName;
  return u.toString();
})();

async function adminQuery(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(sql);
  await c.end();
}

function observation(i: number): Record<string, unknown> {
  const minute = new Date(Date.UTC(2026, 0, 1) + i * 60000).toISOString();
  return {
    resourceType: 'Observation',
    meta: { profile: ['http://hl7.org/fhir/StructureDefinition/heartrate'] },
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
    subject: { reference: `Patient/bench-${i % 100}` },
    effectiveDateTime: minute,
    valueQuantity: { value: 60 + (i % 40), unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  };
}

interface Phase {
  name: string;
  ops: number;
  seconds: number;
  p50: number;
  p99: number;
  errors: number;
}

async function runPhase(name: string, ops: number, op: (i: number) => Promise<boolean>): Promise<Phase> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (next < ops) {
        const i = next++;
        const t = performance.now();
        const ok = await op(i).catch(() => false);
        latencies.push(performance.now() - t);
        if (!ok) errors++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))];
  return { name, ops, seconds, p50: pct(0.5), p99: pct(0.99), errors };
}

const json = { 'content-type': 'application/fhir+json' };
const ids: string[] = [];

async function create(i: number): Promise<boolean> {
  const r = await fetch(`${base}/Observation`, { method: 'POST', headers: { ...json, prefer: 'return=minimal' }, body: JSON.stringify(observation(i)) });
  await r.arrayBuffer();
  const loc = r.headers.get('location');
  if (loc) ids.push(loc.split('/')[loc.split('/').length - 3]);
  return r.status === 201;
}

async function read(i: number): Promise<boolean> {
  const r = await fetch(`${base}/Observation/${ids[(i * 7919) % ids.length]}`);
  await r.arrayBuffer();
  return r.status === 200;
}

async function searchOne(i: number): Promise<boolean> {
  const day = new Date(Date.UTC(2026, 0, 1) + (i % 10) * 86400000).toISOString().slice(0, 10);
  const r = await fetch(`${base}/Observation?subject=Patient/bench-${i % 100}&code=http://loinc.org|8867-4&date=ge${day}&date=lt${day}T12:00:00Z&_count=20`);
  await r.arrayBuffer();
  return r.status === 200;
}

/** The same rows, inserted straight into PostgreSQL by C connections, one row per statement. */
async function directInserts(): Promise<Phase> {
  const pool = new pg.Pool({ connectionString: dbUrl, max: C });
  await pool.query(`CREATE TABLE bench_direct (LIKE resource_version_observation)`);
  const rows = Array.from({ length: N }, (_, i) => JSON.stringify({ ...observation(i), id: `d${i}` }));
  const phase = await runPhase('direct INSERT (PostgreSQL alone)', N, async (i) => {
    await pool.query(
      `INSERT INTO bench_direct (tenant, resource_type, id, version_id, last_updated, deleted, method, content)
       VALUES ('default', 'Observation', $1, 1, now(), false, 'POST', $2)`,
      [`d${i}`, rows[i]],
    );
    return true;
  });
  await pool.end();
  return phase;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function main(): Promise<void> {
  await adminQuery(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE ${dbName}`);
  const server = spawn(process.execPath, ['dist/src/main.js'], {
    env: { ...process.env, DATABASE_URL: dbUrl, PORT: String(port), LOG_LEVEL: 'warn', DB_POOL_SIZE: String(Math.min(C, 20)) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    for (let t = 0; ; t++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) break;
      } catch {
        if (t > 300) throw new Error('server did not start');
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(server.pid as number))), 100);
    const phases: Phase[] = [];
    phases.push(await runPhase('create (POST Observation)', N, create));
    phases.push(await runPhase('read (GET Observation/id)', N, read));
    phases.push(await runPhase('create+read 50/50', N, (i) => (i % 2 ? read(i) : create(N + i))));
    phases.push(await runPhase('search (subject+code+date range)', Math.min(N, 5000), searchOne));
    clearInterval(sampler);
    phases.push(await directInserts());

    console.log(`\nSerium CRUD benchmark, ${new Date().toISOString().slice(0, 10)}`);
    console.log(`machine: ${cpus().length} x ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB; node ${process.version}; N=${N}, concurrency=${C}`);
    console.log('| phase | requests | req/s | p50 ms | p99 ms | errors |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const p of phases) {
      console.log(`| ${p.name} | ${p.ops} | ${Math.round(p.ops / p.seconds)} | ${p.p50.toFixed(2)} | ${p.p99.toFixed(2)} | ${p.errors} |`);
    }
    const createRate = phases[0].ops / phases[0].seconds;
    const directRate = phases[4].ops / phases[4].seconds;
    console.log(`\nserver peak RSS during load: ${peakRss.toFixed(0)} MB`);
    console.log(`create throughput is ${((100 * createRate) / directRate).toFixed(1)}% of PostgreSQL's single-row INSERT rate on the same rows`);
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await adminQuery(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
