import { spawn, type ChildProcess } from 'node:child_process';
import mqtt from 'mqtt';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually as eventuallyAsync, freePort } from './harness.js';
import { adminUrl, databaseUrl, runPrefix, withAdmin } from './test-database.js';

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

/** Polls until check passes (log lines arrive on a pipe, a little after the response). */
async function eventually(check: () => boolean, ms = 5000): Promise<boolean> {
  const until = Date.now() + ms;
  while (!check() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  return check();
}

/** Runs `src/main.ts` as a real process, the way `npm start` does, and collects its JSON log lines. */
function startProcess(env: Record<string, string>): { child: ChildProcess; lines: () => Record<string, unknown>[]; exited: Promise<number | null> } {
  const base = { ...process.env };
  delete base.DATABASE_URL;
  delete base.MQTT_URL;
  // the embedded broker on a free port: several of these processes may run at once
  base.MQTT_PORT = '0';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const lines = () =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { child, lines, exited };
}

async function waitReady(url: string, ms = 60000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      const r = await fetch(url);
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} not ready in ${ms} ms`);
}

const json = { 'content-type': 'application/fhir+json' };

describe('embedded database (no DATABASE_URL)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'serium-data-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  test('starts on PGlite, serves FHIR, stops cleanly on SIGTERM and keeps data across restarts', async () => {
    const port = String(await freePort());
    const base = `http://127.0.0.1:${port}`;
    const first = startProcess({ PORT: port, DATA_DIR: dataDir });
    await waitReady(`${base}/readyz`);
    expect(first.lines().some((l) => l.msg === 'database connected' && l.kind === 'embedded')).toBe(true);

    const created = await fetch(`${base}/fhir/Patient`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ resourceType: 'Patient', identifier: [{ system: 'urn:serium:pseudonym', value: 'emb-1' }] }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const found = (await (await fetch(`${base}/fhir/Patient?identifier=urn:serium:pseudonym|emb-1`)).json()) as { total: number };
    expect(found.total).toBe(1);

    // the embedded MQTT broker takes device readings too
    const brokerLine = first.lines().find((l) => l.msg === 'embedded MQTT broker listening');
    expect(brokerLine?.port).toEqual(expect.any(Number));
    const device = await fetch(`${base}/fhir/Device`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ resourceType: 'Device', identifier: [{ value: 'emb-watch' }], patient: { reference: `Patient/${id}` } }),
    });
    expect(device.status).toBe(201);
    const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${brokerLine!.port}`);
    const reading = { heart_rate: { value: 66, unit: 'beats/min' }, effective_time_frame: { date_time: '2026-11-20T08:00:00+01:00' } };
    await pub.publishAsync('serium/default/emb-1/emb-watch/heart-rate', JSON.stringify(reading), { qos: 1 });
    await pub.endAsync();
    const stored = async () => ((await (await fetch(`${base}/fhir/Observation?subject=Patient/${id}`)).json()) as { total: number }).total === 1;
    expect(await eventuallyAsync(stored)).toBe(true);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.lines().some((l) => l.msg === 'stopped')).toBe(true);

    const second = startProcess({ PORT: port, DATA_DIR: dataDir });
    await waitReady(`${base}/readyz`);
    const read = await fetch(`${base}/fhir/Patient/${id}`);
    expect(read.status).toBe(200);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});

describe('external PostgreSQL (DATABASE_URL)', () => {
  const name = `${runPrefix}_life`;
  beforeAll(() => withAdmin((c) => c.query(`CREATE DATABASE ${name}`)));
  afterAll(() => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));

  test('applies migrations at start, logs JSON, reports health and readiness', async () => {
    expect(adminUrl).toMatch(/^postgres/);
    const port = String(await freePort());
    const base = `http://127.0.0.1:${port}`;
    const proc = startProcess({ PORT: port, DATABASE_URL: databaseUrl(name), LOG_LEVEL: 'debug' });
    await waitReady(`${base}/readyz`);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await fetch(`${base}/fhir/Patient/nope`);
    const lines = proc.lines();
    expect(lines.some((l) => l.msg === 'migration applied' && l.migration === '001_resources.sql')).toBe(true);
    const logged = () => proc.lines().some((l) => l.msg === 'request' && l.status === 404 && l.url === '/fhir/Patient/nope');
    expect(await eventually(logged)).toBe(true);
    for (const l of proc.lines()) expect(typeof l.time).toBe('string');
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  });

  test('refuses to start on a bad setting, naming the variable', async () => {
    const proc = startProcess({ PORT: 'eighty' });
    expect(await proc.exited).toBe(2);
  });
});
