/**
 * Observation search benchmark on the data set of generate-observations.ts (run that first;
 * `npm run build` too). Starts Serium as its own process on that database and measures, with
 * wrk and BENCH_CONCURRENCY connections for BENCH_SECONDS each:
 *   - one patient's heart rate over one day (subject + code + date range), random patient and day;
 *   - Observation/$lastn?patient=P&category=vital-signs, random patient;
 * then times `_total=accurate` for one LOINC code over all patients a few times, and prints the
 * PostgreSQL plan (EXPLAIN ANALYZE) of every statement each query runs, captured from the
 * search engine itself, so a regression shows as a plan change.
 * Settings: BENCH_PG, BENCH_DB, BENCH_PATIENTS, BENCH_DAYS (as generated), BENCH_SECONDS (10),
 * BENCH_CONCURRENCY (4), BENCH_PORT (18081).
 */
import { cpus, totalmem } from 'node:os';
import pg from 'pg';
import { connectPostgres, type Queryable } from '../src/db/database.js';
import { loadConformance } from '../src/fhir/conformance.js';
import { lastn } from '../src/search/lastn.js';
import { search, type SearchContext } from '../src/search/search.js';
import { benchDatabaseUrl, days, firstDay, observationDb, patients } from './bench-db.js';
import { serve } from './serve.js';
import { phaseTable, requireWrk, wrk } from './wrk-run.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONCURRENCY ?? 4);
const port = Number(process.env.BENCH_PORT ?? 18081);
const dbUrl = benchDatabaseUrl(observationDb);
const countQuery = 'code=http://loinc.org|8867-4&_total=accurate&_count=0';

async function main(): Promise<void> {
  requireWrk();
  const check = new pg.Client({ connectionString: dbUrl });
  await check.connect();
  const { rows } = await check.query(`SELECT reltuples::bigint AS n FROM pg_class WHERE relname = 'resource_observation'`);
  await check.end();
  const stored = Number(rows[0]?.n ?? 0);
  if (!stored) throw new Error(`no Observations in ${observationDb}: run bench/generate-observations.ts first`);

  const server = await serve({ DATABASE_URL: dbUrl, DB_POOL_SIZE: String(Math.max(4, connections)) }, port);
  const base = `http://127.0.0.1:${port}`;
  const env = { BENCH_PATIENTS: String(patients), BENCH_DAYS: String(days), BENCH_FIRST_DAY: String(Date.parse(firstDay) / 1000) };
  const counts: number[] = [];
  let phases;
  try {
    // a warm-up pass over each query shape, then the measured phases
    wrk('warm-up', 'day.lua', base, { connections, seconds: 5, env });
    wrk('warm-up', 'lastn.lua', base, { connections, seconds: 5, env });
    phases = [
      wrk('subject + code + one day', 'day.lua', base, { connections, seconds, env }),
      wrk('$lastn patient + category', 'lastn.lua', base, { connections, seconds, env }),
    ];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const res = await fetch(`${base}/fhir/Observation?${countQuery.replace('|', '%7C')}`);
      const body = (await res.json()) as { total?: number };
      counts.push(performance.now() - t);
      if (i === 0) console.log(`count answer: total ${body.total}`);
    }
  } finally {
    await server.stop();
  }

  console.log(`\nSerium Observation search benchmark, ${new Date().toISOString().slice(0, 10)}`);
  console.log(
    `machine: ${cpus().length} x ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB; node ${process.version}; ` +
      `${stored.toLocaleString('en')} Observations (${patients} patients, ${days} days); wrk ${Math.min(2, connections)} threads, ${connections} connections, ${seconds} s per phase`,
  );
  console.log('\n' + phaseTable(phases));
  counts.sort((a, b) => a - b);
  console.log(`\n_total=accurate for one LOINC code over all patients (${countQuery}): ` +
    `median ${counts[2].toFixed(0)} ms, min ${counts[0].toFixed(0)} ms, max ${counts[4].toFixed(0)} ms over 5 runs`);
  await explainAll();
}

/** Runs each query through the search engine in process, capturing its SQL, and prints the plans. */
async function explainAll(): Promise<void> {
  const db = connectPostgres(dbUrl, 2);
  const { defs, terminology } = loadConformance();
  const captured: { text: string; params: unknown[] }[] = [];
  const q: Queryable = {
    query: (text, params = [], opts) => {
      captured.push({ text, params });
      return db.query(text, params, opts);
    },
  };
  const ctx: SearchContext = {
    q,
    tenant: 'default',
    defs,
    baseUrl: 'http://localhost/fhir',
    terminology,
  };
  const day = new Date(Date.parse(firstDay) + Math.floor(days / 2) * 86_400_000).toISOString().slice(0, 10);
  const next = new Date(Date.parse(day) + 86_400_000).toISOString().slice(0, 10);
  const patient = `bench-${String(Math.ceil(patients / 2)).padStart(4, '0')}`;
  const cases: [string, () => Promise<unknown>][] = [
    [`Observation?subject=Patient/${patient}&code=http://loinc.org|8867-4&date=ge${day}&date=lt${next}`, () =>
      search(ctx, { resourceType: 'Observation', params: new URLSearchParams(`subject=Patient/${patient}&code=http://loinc.org%7C8867-4&date=ge${day}&date=lt${next}`), strict: true })],
    [`Observation/$lastn?patient=${patient}&category=vital-signs`, () =>
      lastn(ctx, new URLSearchParams(`patient=${patient}&category=vital-signs`), true)],
    [`Observation?${countQuery}`, () =>
      search(ctx, { resourceType: 'Observation', params: new URLSearchParams(countQuery.replace('|', '%7C')), strict: true })],
  ];
  for (const [title, run] of cases) {
    captured.length = 0;
    await run();
    console.log(`\n### ${title}`);
    for (const { text, params } of [...captured]) {
      const plan = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${text}`, params);
      console.log('```\n' + plan.rows.map((r) => r['QUERY PLAN']).join('\n') + '\n```');
    }
  }
  await db.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
