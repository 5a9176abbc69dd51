/**
 * Scenario corpus: the simulator's patients over several days with injected events (hypoxia,
 * hypertensive crisis, hypoglycemia, weight gain), published as fast as the broker takes them
 * to a Serium with every bot on; once everything is packed and every notification handled, each
 * DetectedIssue is held against the ground truth the simulator printed. Prints, per injected
 * event, whether it was detected and by which rule, and every alert that matches no event (a
 * false alert), by rule and level. Device silence is judged on the wall clock, so it is left to
 * test/device-watch.test.ts. Compiled server (`npm run build` first).
 * Settings: BENCH_PATIENTS (8), BENCH_HOURS (36), BENCH_SEED (corpus), BENCH_MQTT_PORT (18884),
 * BENCH_PORT (18082), BENCH_PG (admin URL), BENCH_KEEP=1 keeps the database.
 */
import { PrivateBroker } from '../test/mosquitto.js';
import { runCommand } from '../src/simulator/command.js';
import { connectPublisher } from '../src/simulator/publish.js';
import type { EventReport, RunSummary } from '../src/simulator/summary.js';
import { benchAdminUrl, benchDatabaseUrl, sql as sqlAt } from './bench-db.js';
import { serve } from './serve.js';

const patients = Number(process.env.BENCH_PATIENTS ?? 8);
const hours = Number(process.env.BENCH_HOURS ?? 36);
const seed = process.env.BENCH_SEED ?? 'corpus';
const port = Number(process.env.BENCH_PORT ?? 18082);
const broker = new PrivateBroker(Number(process.env.BENCH_MQTT_PORT ?? 18884));
const dbName = 'serium_bench_scenarios';
const dbUrl = benchDatabaseUrl(dbName);
const from = '2026-11-01T00:00:00Z';
const sql = <T = Record<string, unknown>>(text: string, params: unknown[] = []) => sqlAt<T>(dbUrl, text, params);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One event per patient, kinds in turn, at times spread over the run (from 2 h in, so the streams
 * are under way): patient i gets kind i mod 4. A weight gain rises 2.5 kg over 6 h from 14 h in:
 * after the first morning's weighing and over before the second, in every time zone from UTC−07:00
 * to UTC+11:00, so the rule (2 kg within 3 days) must catch it at the second weighing.
 */
function scenarioArgs(): string[] {
  const kinds = ['hypoxia', 'hypertensive-crisis', 'hypoglycemia', 'weight-gain'];
  const out: string[] = [];
  for (let p = 1; p <= patients; p++) {
    const kind = kinds[(p - 1) % kinds.length];
    const hour = kind === 'weight-gain' ? 14 : 2 + ((p * 5) % Math.max(1, hours - 14));
    out.push('--scenario', `${kind}:${p}@+${hour}h${(p * 7) % 60}m${kind === 'weight-gain' ? '~6h' : ''}`);
  }
  return out;
}

/** The rules that count as detecting each kind of event. */
const detects: Record<string, string[]> = {
  hypoxia: ['spo2-critical', 'spo2-low-sustained'],
  'hypertensive-crisis': ['bp-crisis', 'systolic-high-repeated'],
  hypoglycemia: ['glucose-critical-low', 'glucose-low'],
  'weight-gain': ['weight-gain'],
};

/** Work still to do: samples to pack, events to match, notifications to send. */
async function backlog(): Promise<number> {
  const [r] = await sql<{ n: number }>(
    `SELECT (SELECT count(*) FROM ingest_sample) + (SELECT count(*) FROM resource_event) + (SELECT count(*) FROM subscription_delivery WHERE status = 'pending') AS n`,
  );
  return Number(r.n);
}

interface Alert {
  id: string;
  patient: string;
  code: string;
  severity: string;
  at: number;
}

/**
 * Each DetectedIssue with the effective time of the newest reading it names: the moment the rule
 * could first fire. (A weight gain names the lighter weighing it is measured against as well, which
 * may lie days before the event.)
 */
async function alerts(): Promise<Alert[]> {
  const rows = await sql<{ id: string; content: any }>(`SELECT r.id, v.content FROM resource r JOIN resource_version v USING (tenant, resource_type, id, version_id) WHERE r.resource_type = 'DetectedIssue' AND NOT r.deleted`);
  const out: Alert[] = [];
  for (const { id, content } of rows) {
    const issue = typeof content === 'string' ? JSON.parse(content) : content;
    const refs = [...(issue.implicated ?? []), ...(issue.evidence ?? []).flatMap((e: any) => e.detail ?? [])].map((r: any) => r.reference).filter((r: string) => r?.startsWith('Observation/'));
    const times = await sql<{ t: string }>(
      `SELECT coalesce(v.content::jsonb ->> 'effectiveDateTime', v.content::jsonb -> 'effectivePeriod' ->> 'start') AS t FROM resource r JOIN resource_version v USING (tenant, resource_type, id, version_id) WHERE r.resource_type = 'Observation' AND r.id = ANY($1)`,
      [refs.map((r: string) => r.slice('Observation/'.length))],
    );
    const at = Math.max(...times.map((t) => Date.parse(t.t)).filter((t) => !Number.isNaN(t)));
    out.push({ id, patient: issue.patient?.reference?.slice('Patient/'.length), code: issue.code?.coding?.[0]?.code, severity: issue.severity, at });
  }
  return out;
}

function matches(a: Alert, e: EventReport): boolean {
  const start = Date.parse(e.start) - 10 * 60_000;
  const end = Date.parse(e.end) + 86_400_000;
  return a.patient === e.patientId && (detects[e.scenario] ?? []).includes(a.code) && a.at >= start && a.at <= end;
}

async function main(): Promise<void> {
  await sqlAt(benchAdminUrl, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await sqlAt(benchAdminUrl, `CREATE DATABASE ${dbName}`);
  await broker.start();
  const server = await serve(
    { DATABASE_URL: dbUrl, INGEST: 'on', SUBSCRIPTIONS: 'on', MQTT_URL: broker.url, MQTT_CLIENT_ID: 'bench-scenarios', INGEST_DEVICE_RATE: '0', INGEST_PACK_DELAY_MS: '1000', DB_POOL_SIZE: '20' },
    port,
  );
  const started = performance.now();
  try {
    let out = '';
    const argv = ['--patients', String(patients), '--seed', seed, '--from', from, '--hours', String(hours), '--register', '--fast', '--quiet', '--fhir', `http://127.0.0.1:${port}/fhir`, '--mqtt', broker.url, ...scenarioArgs()];
    const code = await runCommand({ argv, env: {}, now: () => Date.now(), out: (t) => (out += t), err: (t) => process.stderr.write(t), fetch: globalThis.fetch, connect: connectPublisher, signal: new AbortController().signal });
    if (code !== 0) throw new Error(`simulator exited with ${code}`);
    const truth = JSON.parse(out) as RunSummary;
    const published = performance.now();
    console.log(`published ${truth.messages} messages, ${truth.readings} readings of ${patients} patients over ${hours} h in ${((published - started) / 1000).toFixed(0)} s`);
    let quiet = 0;
    while (quiet < 3) {
      const n = await backlog();
      quiet = n === 0 ? quiet + 1 : 0;
      await sleep(1000);
    }
    console.log(`everything packed and handled ${((performance.now() - published) / 1000).toFixed(0)} s later`);

    const found = await alerts();
    console.log(`\n| injected event | patient | expected | detected by |\n|---|---|---|---|`);
    const used = new Set<string>();
    let missed = 0;
    for (const e of truth.events) {
      const hits = found.filter((a) => matches(a, e));
      for (const h of hits) used.add(h.id);
      // what reached the wire decides what could be seen: a gain partly before the first weighing shows less
      const values = e.observed.values ?? [];
      const shown = e.scenario === 'weight-gain' && values.length ? ` (published: ${values.map((v) => v.value).join(' → ')} kg)` : '';
      if (!hits.length) missed++;
      console.log(`| ${e.scenario} ${e.start} | ${e.patientId} | ${e.expectedAlert.level}${shown} | ${hits.length ? [...new Set(hits.map((h) => `${h.code} (${h.severity})`))].join(', ') : '**missed**'} |`);
    }
    const falseAlerts = found.filter((a) => !used.has(a.id));
    const byRule = new Map<string, number>();
    for (const a of falseAlerts) byRule.set(`${a.code} (${a.severity})`, (byRule.get(`${a.code} (${a.severity})`) ?? 0) + 1);
    const [advice] = await sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM resource r JOIN resource_version v USING (tenant, resource_type, id, version_id) WHERE r.resource_type = 'Communication' AND v.content::jsonb -> 'category' -> 0 -> 'coding' -> 0 ->> 'code' = 'instruction'`,
    );
    console.log(`\n| measure | value |\n|---|---|`);
    console.log(`| injected events detected | ${truth.events.length - missed} of ${truth.events.length} |`);
    console.log(`| alerts (DetectedIssues) | ${found.length} |`);
    console.log(`| false alerts (no injected event of that kind, patient and time) | ${falseAlerts.length}${byRule.size ? `: ${[...byRule].map(([k, n]) => `${k} ${n}`).join(', ')}` : ''} |`);
    console.log(`| info advice sent (heart rate above habit) | ${advice.n} |`);
    for (const a of falseAlerts) console.log(`false alert: ${a.code} ${a.severity} for ${a.patient} at ${new Date(a.at).toISOString()}`);
  } finally {
    await server.stop();
    await broker.remove();
    if (process.env.BENCH_KEEP !== '1') await sqlAt(benchAdminUrl, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
