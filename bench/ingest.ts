/**
 * Ingest benchmark: MQTT publish to committed row, on this machine's Mosquitto and PostgreSQL.
 * Starts Serium (compiled: `npm run build` first) on a fresh database, registers the patients,
 * then publishes what phones send: each watch a compact batch of ten 1 Hz heart-rate samples,
 * plus a share of Open mHealth spot readings (blood pressure, weight, glucose). Prints:
 * - sustained readings/s and messages/s, publish to commit, with p50/p95/p99 latency per message
 *   (publish time against the time PostgreSQL wrote the message's first row);
 * - the packer's rate (1 Hz windows folded into SampledData Observations per second);
 * - the same rows loaded by COPY (PostgreSQL's own limit) and the same messages through the
 *   broker to a subscriber that does nothing (the broker's own limit).
 * The broker is a Mosquitto started for the run, set up as production needs (persistence, no cap
 * on queued messages: Debian's default of 1000 drops readings as soon as Serium falls behind).
 * Settings: BENCH_PATIENTS (3000), BENCH_SECONDS (30), BENCH_RATE readings/s offered (12000; 0 =
 * as fast as the broker takes them), BENCH_SPOT_SHARE (0.02), BENCH_MQTT_PORT (18883),
 * BENCH_PG (admin URL), BENCH_KEEP=1 keeps the database, BENCH_PACK_DELAY_MS (unset: windows are
 * packed after the run, to time the ingest and the packer apart; e.g. 15000 packs them during the
 * run, as in production, so the bots' work on each packed minute competes with the alerts; then
 * only the alert latency, split into the ingest's share and the rest, the outbox and urgent queue
 * sampled every second (the count of the outbox costs the database about 30 ms), and the bots' catch-up, BENCH_DRAIN_SECONDS at most (600), are printed;
 * BENCH_DETAIL=1 prints each alert), BENCH_LAG_SECONDS (0) how much later than a watch relaying
 * every ten seconds each message is sent. With BENCH_PATIENTS = BENCH_RATE each watch streams at 1 Hz in
 * real time, so windows are packed throughout the run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { benchAdminUrl, benchDatabaseUrl, sql as sqlAt } from './bench-db.js';
import { serve } from './serve.js';
import { deviceId, messagePlan, registrationBundles, type PlannedMessage } from './ingest-messages.js';
import { PrivateBroker } from '../test/mosquitto.js';
import { sampleBacklog } from './backlog-sampler.js';

const broker = new PrivateBroker(Number(process.env.BENCH_MQTT_PORT ?? 18883));
const brokerUrl = broker.url;

const patients = Number(process.env.BENCH_PATIENTS ?? 3000);
const seconds = Number(process.env.BENCH_SECONDS ?? 30);
const rate = Number(process.env.BENCH_RATE ?? 12000);
const spotShare = Number(process.env.BENCH_SPOT_SHARE ?? 0.02);
/** One message in this many is an emergency reading (0: none), timed to the alert's Communication; a prime, so that each falls on another patient. */
const emergencyEvery = Number(process.env.BENCH_EMERGENCY_EVERY ?? 1499);
const port = Number(process.env.BENCH_PORT ?? 18081);
const packDelayMs = process.env.BENCH_PACK_DELAY_MS ? Number(process.env.BENCH_PACK_DELAY_MS) : undefined;
/** How far the readings' times trail the clock beyond the ten seconds a watch batches (phones relaying late). */
const lagMs = Number(process.env.BENCH_LAG_SECONDS ?? 0) * 1000;
/** With live packing, how long to watch the bots catch up after the run. */
const drainMs = Number(process.env.BENCH_DRAIN_SECONDS ?? 600) * 1000;
const dbName = 'serium_bench_ingest';
const dbUrl = benchDatabaseUrl(dbName);
const root = `bench${process.pid}`;

/** A statement on the benchmark's database (or on url). */
const sql = <T = Record<string, unknown>>(text: string, params: unknown[] = [], url = dbUrl) => sqlAt<T>(url, text, params);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** Publishes the plan with QoS 1, paced to `rate` readings/s (0: as fast as acknowledged), at most `inFlight` unacknowledged. */
async function publishPlan(client: mqtt.MqttClient, plan: PlannedMessage[], topicRoot: string, rate: number, inFlight = 1000): Promise<{ sentAt: number[]; ms: number }> {
  const sentAt = new Array<number>(plan.length);
  const started = performance.now();
  let readings = 0;
  let pending = 0;
  let wake: (() => void) | undefined;
  for (let i = 0; i < plan.length; i++) {
    const m = plan[i];
    if (rate > 0) {
      const due = started + (readings / rate) * 1000;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
    }
    while (pending >= inFlight) await new Promise<void>((r) => (wake = r));
    pending++;
    sentAt[i] = Date.now();
    client.publish(`${topicRoot}/${m.topic}`, m.payload, { qos: 1 }, () => {
      pending--;
      wake?.();
    });
    readings += m.readings;
  }
  while (pending > 0) await new Promise<void>((r) => (wake = r));
  return { sentAt, ms: performance.now() - started };
}

/** The same messages through the broker to a QoS 1 subscriber that only counts them. */
async function brokerOnly(plan: PlannedMessage[]): Promise<{ perSecond: number; readingsPerSecond: number }> {
  const topicRoot = `${root}raw`;
  const sub = await mqtt.connectAsync(brokerUrl, { clientId: `${root}-raw-sub`, protocolVersion: 5 });
  let received = 0;
  let done: () => void = () => {};
  const all = new Promise<void>((r) => (done = r));
  sub.on('message', () => {
    if (++received === plan.length) done();
  });
  await sub.subscribeAsync(`${topicRoot}/#`, { qos: 1 });
  const pub = await mqtt.connectAsync(brokerUrl, { clientId: `${root}-raw-pub`, protocolVersion: 5 });
  const started = performance.now();
  await publishPlan(pub, plan, topicRoot, 0);
  await all;
  const ms = performance.now() - started;
  await pub.endAsync();
  await sub.endAsync();
  const readings = plan.reduce((n, m) => n + m.readings, 0);
  return { perSecond: (plan.length / ms) * 1000, readingsPerSecond: (readings / ms) * 1000 };
}

/** The staged rows and created Observations loaded again with COPY into empty copies of their tables. */
function copyLimit(): { rows: number; ms: number } {
  const dir = mkdtempSync(join(tmpdir(), 'serium-bench-'));
  const psql = (command: string) => {
    const r = spawnSync('psql', [dbUrl, '-v', 'ON_ERROR_STOP=1', '-qAtc', command], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return r.stdout;
  };
  psql(`\\copy ingest_sample TO '${dir}/samples.csv' CSV`);
  psql('CREATE TABLE bench_copy (LIKE ingest_sample INCLUDING ALL)');
  const started = performance.now();
  psql(`\\copy bench_copy FROM '${dir}/samples.csv' CSV`);
  const ms = performance.now() - started;
  const rows = Number(psql('SELECT count(*) FROM bench_copy').trim());
  psql('DROP TABLE bench_copy');
  return { rows, ms };
}

/** Waits until this many samples are staged and this many Observations stored in all. */
async function waitCommitted(samples: number, observations: number): Promise<void> {
  for (;;) {
    // staged samples from the server's counter: with live packing, some leave the table before they are counted there
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const staged = Number(/^serium_ingest_samples_staged_total (\d+)$/m.exec(metrics)?.[1] ?? 0);
    const [c] = await sql<{ o: number }>(`SELECT count(*)::int AS o FROM resource WHERE resource_type = 'Observation'`);
    if (staged >= samples && c.o >= observations) return;
    await sleep(250);
  }
}

/**
 * Latency of each compact message, sorted: the time PostgreSQL wrote its first sample (the last
 * statement before the commit) against its publish time; and the last such time, spot readings
 * included.
 */
async function commitTimes(plan: PlannedMessage[], sentAt: number[]): Promise<{ latencies: number[]; lastCommit: number }> {
  const written = await sql<{ device_id: string; window_start: Date; slot: number; at: number }>(
    `SELECT device_id, window_start, slot, extract(epoch FROM staged_at) * 1000 AS at FROM ingest_sample`,
  );
  const writtenAt = new Map(written.map((w) => [`${w.device_id}/${w.window_start.getTime()}/${w.slot}`, Number(w.at)]));
  const latencies: number[] = [];
  let lastCommit = 0;
  plan.forEach((m, i) => {
    if (m.kind !== 'compact') return;
    const at = writtenAt.get(`${deviceId(m.patient)}/${m.firstWindow}/${m.firstSlot}`);
    if (at === undefined) throw new Error(`message ${i} has no stored sample`);
    latencies.push(at - sentAt[i]);
    lastCommit = Math.max(lastCommit, at);
  });
  const [spot] = await sql<{ at: number }>(`SELECT extract(epoch FROM max(last_updated)) * 1000 AS at FROM resource WHERE resource_type = 'Observation'`);
  return { latencies: latencies.sort((a, b) => a - b), lastCommit: Math.max(lastCommit, Number(spot?.at ?? 0)) };
}

/**
 * Publish to committed Communication for each emergency reading of the run: the Communication's
 * lastUpdated against the reading's publish time (each emergency reading is its patient's first,
 * so each raises its own alert).
 */
async function alertLatency(run: PlannedMessage[], sentAt: number[]): Promise<void> {
  const wanted = run.map((m, i) => ({ m, i })).filter(({ m }) => m.kind === 'emergency');
  if (!wanted.length) return;
  const rows = async () =>
    sql<{ patient: string; at: number }>(
      `SELECT substring(v.content::jsonb -> 'subject' ->> 'reference' from 9) AS patient, extract(epoch FROM min(v.last_updated)) * 1000 AS at
         FROM resource r JOIN resource_version v ON v.tenant = r.tenant AND v.resource_type = r.resource_type AND v.id = r.id AND v.version_id = 1
        WHERE r.resource_type = 'Communication' AND v.content::jsonb ->> 'priority' = 'urgent' GROUP BY 1`,
    );
  const until = Date.now() + 60_000;
  // only the alerts' urgent messages, and only for the patients given an emergency reading
  const patientsWanted = new Set(wanted.map((w) => `bp-${w.m.patient}`));
  const alerted = async () => (await rows()).filter((r) => patientsWanted.has(r.patient));
  let found = await alerted();
  while (found.length < patientsWanted.size && Date.now() < until) {
    await sleep(500);
    found = await alerted();
  }
  const at = new Map(found.map((r) => [r.patient, Number(r.at)]));
  const first = new Map<number, number>();
  for (const { m, i } of wanted) if (!first.has(m.patient)) first.set(m.patient, sentAt[i]);
  const latencies = [...first].flatMap(([p, sent]) => (at.has(`bp-${p}`) ? [at.get(`bp-${p}`)! - sent] : [])).sort((a, b) => a - b);
  const missing = first.size - latencies.length;
  // the ingest's share: the emergency reading's Observation committed, against its publish time
  const observed = await sql<{ patient: string; at: number }>(
    `SELECT substring(v.content::jsonb -> 'subject' ->> 'reference' from 9) AS patient, extract(epoch FROM min(v.last_updated)) * 1000 AS at
       FROM resource_version v WHERE v.resource_type = 'Observation' AND v.version_id = 1
        AND (v.content::jsonb -> 'valueQuantity' ->> 'value')::numeric = 80 AND v.content::jsonb -> 'valueQuantity' ->> 'unit' = '%' GROUP BY 1`,
  );
  const stored = new Map(observed.map((r) => [r.patient, Number(r.at)]));
  const ingestShare = [...first].flatMap(([p, sent]) => (stored.has(`bp-${p}`) ? [stored.get(`bp-${p}`)! - sent] : [])).sort((a, b) => a - b);
  const rest = [...first].flatMap(([p]) => (stored.has(`bp-${p}`) && at.has(`bp-${p}`) ? [at.get(`bp-${p}`)! - stored.get(`bp-${p}`)!] : [])).sort((a, b) => a - b);
  const spread = (xs: number[]) => (xs.length ? [50, 95, 99].map((p) => percentile(xs, p).toFixed(0)).join(' / ') + ` / ${xs[xs.length - 1].toFixed(0)} ms` : 'none');
  console.log(
    `| emergency reading to committed Communication (${latencies.length} alerts${missing ? `, ${missing} missing after 60 s` : ''}) p50 / p95 / p99 / max | ${spread(latencies)} |`,
  );
  if (process.env.BENCH_DETAIL === '1') {
    const t0 = Math.min(...first.values());
    for (const [p, sent] of first) console.log(`alert of patient ${p}: published at +${((sent - t0) / 1000).toFixed(1)} s, Observation after ${stored.has(`bp-${p}`) ? (stored.get(`bp-${p}`)! - sent).toFixed(0) : '-'} ms, Communication after ${at.has(`bp-${p}`) ? (at.get(`bp-${p}`)! - sent).toFixed(0) : '-'} ms`);
  }
  console.log(`| of which: reading to committed Observation (ingest) p50 / p95 / p99 / max | ${spread(ingestShare)} |`);
  console.log(`| of which: Observation to committed Communication (match, claim, bot) p50 / p95 / p99 / max | ${spread(rest)} |`);
}

/** With live packing: the windows packed so far, and how many were packed again because samples came after their first packing. */
async function packedWindows(): Promise<void> {
  const [n] = await sql<{ first: number; later: number }>(
    `SELECT count(*) FILTER (WHERE version_id = 1)::int AS first, count(*) FILTER (WHERE version_id > 1)::int AS later
       FROM resource_version WHERE resource_type = 'Observation' AND content LIKE '%"valueSampledData"%'`,
  );
  console.log(`| windows packed: first packings / packed again with late samples | ${n.first} / ${n.later} |`);
}

/** With live packing: the bots' notifications handled so far, those waiting, and how long the rest takes. */
async function botBacklog(): Promise<void> {
  const counts = async () =>
    (await sql<{ delivered: number; pending: number }>(`SELECT count(*) FILTER (WHERE status = 'delivered')::int AS delivered, count(*) FILTER (WHERE status = 'pending')::int AS pending FROM subscription_delivery`))[0];
  const atEnd = await counts();
  const start = performance.now();
  let now = atEnd;
  while ((now.pending > 0 || (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM resource_event`))[0].n > 0) && performance.now() - start < drainMs) {
    await sleep(1000);
    now = await counts();
  }
  const ms = performance.now() - start;
  console.log(`| bot notifications: handled by the end of the alert wait / waiting then | ${atEnd.delivered} / ${atEnd.pending} |`);
  console.log(`| the rest handled in | ${(ms / 1000).toFixed(0)} s (${(((now.delivered - atEnd.delivered) / ms) * 1000).toFixed(0)} notifications/s)${now.pending ? `, ${now.pending} still waiting after ${drainMs / 1000} s` : ''} |`);
}

async function main(): Promise<void> {
  await sql(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`, [], benchAdminUrl);
  await sql(`CREATE DATABASE ${dbName}`, [], benchAdminUrl);
  await broker.start();
  const server = await serve(
    {
      DATABASE_URL: dbUrl,
      INGEST: 'on',
      MQTT_URL: brokerUrl,
      MQTT_TOPIC_ROOT: root,
      MQTT_CLIENT_ID: `${root}-ingest`,
      INGEST_DEVICE_RATE: '0',
      INGEST_PACK_DELAY_MS: String(packDelayMs ?? 24 * 3600_000),
      DB_POOL_SIZE: '10',
    },
    port,
  );
  try {
    for (const bundle of registrationBundles(patients)) {
      const r = await fetch(`http://127.0.0.1:${port}/fhir`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(bundle) });
      if (r.status !== 200) throw new Error(`registration failed: ${r.status} ${await r.text()}`);
    }
    // each message carries the ten seconds before it is sent, as a watch relaying every ten
    // seconds does: the warm-up's the ten just past, the run's from when it starts (the same plan
    // made again then, so the warm-up's length does not age the run's readings); with
    // BENCH_PACK_DELAY_MS unset no window falls due during the run
    const planFrom = (t0: number) => messagePlan(patients, seconds, rate || 12000, spotShare, t0 - lagMs, emergencyEvery);
    const warmFrom = Date.now() - 10_000;
    let plan = planFrom(warmFrom);
    const readings = plan.reduce((n, m) => n + m.readings, 0);
    const samples = plan.reduce((n, m) => n + (m.kind === 'compact' ? m.readings : 0), 0);
    const spots = readings - samples;
    console.log(`offering ${plan.length} messages, ${readings} readings (${samples} 1 Hz samples, ${spots} spot readings) from ${patients} patients${rate ? ` at ${rate} readings/s` : ', unpaced'}`);

    const pub = await mqtt.connectAsync(brokerUrl, { clientId: `${root}-pub`, protocolVersion: 5 });
    // warm-up: one message per watch, whose first contact also updates its Device (model,
    // firmware, battery); timed apart, then the run proper on a server in its steady state
    const warm = plan.slice(0, patients);
    const count = (ms: PlannedMessage[], kind: PlannedMessage['kind']) =>
      ms.reduce((n, m) => n + (m.kind === kind || (kind === 'spot' && m.kind === 'emergency') ? m.readings : 0), 0);
    const warmSent = await publishPlan(pub, warm, root, 0);
    await waitCommitted(count(warm, 'compact'), count(warm, 'spot'));
    // with live packing the warm-up's samples may be packed already: its latencies are timed without it only
    const firstContact = packDelayMs === undefined ? (await commitTimes(warm, warmSent.sentAt)).latencies : [];
    // the run's first messages (the second of each watch) carry the ten seconds just past
    const run = planFrom(Math.max(warmFrom, Date.now() - 20_000)).slice(patients);
    plan = [...warm, ...run];

    const firstPublish = Date.now();
    const backlog = packDelayMs !== undefined ? sampleBacklog(sql, `http://127.0.0.1:${port}/metrics`) : undefined;
    const { sentAt, ms: publishMs } = await publishPlan(pub, run, root, rate);
    await pub.endAsync();
    const runReadings = run.reduce((n, m) => n + m.readings, 0);
    console.log(`published in ${(publishMs / 1000).toFixed(1)} s (${((runReadings / publishMs) * 1000).toFixed(0)} readings/s offered)`);
    if (packDelayMs !== undefined) {
      // packed samples leave the staging table, so per-message commit times cannot be read back: time the alerts and the bots only
      await alertLatency(run, sentAt);
      await packedWindows();
      for (const line of await backlog!.stop()) console.log(line);
      await botBacklog();
      return;
    }
    await waitCommitted(samples, spots);
    const { latencies, lastCommit } = await commitTimes(run, sentAt);
    const span = (lastCommit - firstPublish) / 1000;
    // latency is measured on compact messages (spot readings are counted in the throughput only)
    const spread = (xs: number[]) => (xs.length ? `${[50, 95, 99].map((p) => percentile(xs, p).toFixed(0)).join(' / ')} / ${xs[xs.length - 1].toFixed(0)} ms` : 'n/a');
    console.log(`\n| measure | value |\n|---|---|`);
    console.log(`| warm-up: first message of each of ${patients} watches (its Device updated), latency p50 / p95 / p99 / max | ${spread(firstContact)} |`);
    console.log(`| readings committed after the warm-up | ${runReadings} in ${span.toFixed(1)} s |`);
    console.log(`| sustained, publish to commit | **${(runReadings / span).toFixed(0)} readings/s**, ${(run.length / span).toFixed(0)} messages/s |`);
    console.log(`| latency per message p50 / p95 / p99 / max | ${spread(latencies)} |`);

    await alertLatency(run, sentAt);

    const copy = copyLimit();
    console.log(`| PostgreSQL COPY of the same ${copy.rows} sample rows | ${((copy.rows / copy.ms) * 1000).toFixed(0)} rows/s (ingest is ${((runReadings / span / ((copy.rows / copy.ms) * 1000)) * 100).toFixed(0)} % of it) |`);

    // packing: make every window due now, and time the packer folding them
    const windows = (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM ingest_window`))[0].n;
    await sql(`UPDATE ingest_window SET due_at = now()`);
    const packStart = performance.now();
    while ((await sql<{ n: number }>(`SELECT count(*)::int AS n FROM ingest_sample`))[0].n > 0) await sleep(200);
    const packMs = performance.now() - packStart;
    console.log(`| packer | ${windows} windows in ${(packMs / 1000).toFixed(1)} s: **${((windows / packMs) * 1000).toFixed(0)} windows/s** (${((samples / packMs) * 1000).toFixed(0)} samples/s) |`);

    await server.stop();
    const broker = await brokerOnly(plan);
    console.log(`| broker alone (QoS 1 publish to a subscriber that does nothing) | ${broker.perSecond.toFixed(0)} messages/s, ${broker.readingsPerSecond.toFixed(0)} readings/s (ingest is ${((runReadings / span / broker.readingsPerSecond) * 100).toFixed(0)} % of it) |`);
    const size = await sql<{ size: string }>(`SELECT pg_size_pretty(pg_database_size($1)) AS size`, [dbName]);
    console.log(`\ndatabase size after packing: ${size[0].size}`);
  } finally {
    if (server.exitCode === null) await server.stop();
    await broker.remove();
    if (process.env.BENCH_KEEP !== '1') await sql(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`, [], benchAdminUrl);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
