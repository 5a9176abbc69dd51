import pg from 'pg';
import type { MqttClient } from 'mqtt';
import { call, eventually } from './harness.js';
import { publish, registerPatient, startPackOnDemandServer, stopBotServer, uniqueName, type IngestTestServer } from './mqtt-harness.js';
import { databaseUrl } from './test-database.js';
import { stageSamples, type StagedSample } from '../src/ingest/samples.js';

// A batch staging samples in a window while the packer packs it. Each batch writes a row of its
// own for the window, committed with its samples: the batch never waits for the packer, and the
// packer's next round finds the samples it did not take. None is left staged without a row.

let srv: IngestTestServer;
let pub: MqttClient;

beforeAll(async () => ({ srv, pub } = await startPackOnDemandServer()));
afterAll(() => stopBotServer({ srv, pub }));

async function connect(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: databaseUrl(srv.databaseName) });
  await client.connect();
  return client;
}

const on = (client: pg.Client) => ({ query: (sql: string, params?: unknown[]) => client.query(sql, params) }) as Parameters<typeof stageSamples>[0];

/** A patient whose watch sent the first half of a minute, staged and not packed; and the second half, as a batch would stage it. */
async function halfStaged(): Promise<{ pseudonym: string; patientId: string; deviceId: string; first: number[]; second: StagedSample[] }> {
  const pseudonym = uniqueName('p');
  const patientId = await registerPatient(srv, pseudonym, [`${pseudonym}-w`]);
  const first = Array.from({ length: 30 }, (_, i) => 60 + i);
  await publish(pub, srv.topic(pseudonym, `${pseudonym}-w`, 'heart-rate'), { format: 'serium-compact/1', seq: 0, start: '2026-11-20T08:00:00Z', interval_ms: 1000, unit: 'beats/min', values: first });
  const staged = await eventually(async () => {
    const { rows } = await srv.running.db.query<any>(`SELECT s.*, w.due_at FROM ingest_sample s JOIN ingest_window w USING (tenant, device_id, metric, window_start) WHERE s.pseudonym = $1`, [pseudonym]);
    return rows.length === 30 && rows[0];
  });
  const second = Array.from({ length: 30 }, (_, i) => ({
    deviceId: staged.device_id,
    metric: staged.metric,
    windowStart: staged.window_start.toISOString(),
    slot: 30 + i,
    value: 100 + i,
    quality: [],
    patientId: staged.patient_id,
    deviceKey: staged.device_key,
    pseudonym,
    gatewayId: staged.gateway_id ?? undefined,
    sourceOffset: staged.source_offset,
    dueAt: staged.due_at.toISOString(),
  }));
  return { pseudonym, patientId, deviceId: staged.device_id, first, second };
}

async function packedData(patientId: string): Promise<{ values: number[]; versionId: string }> {
  const r = await call(srv, 'GET', `Observation?subject=Patient/${patientId}`);
  expect(r.body.entry).toHaveLength(1);
  const observation = r.body.entry[0].resource;
  return { values: observation.valueSampledData.data.split(' ').map(Number), versionId: observation.meta.versionId };
}

async function leftStaged(pseudonym: string, deviceId: string): Promise<number> {
  const { rows } = await srv.running.db.query(`SELECT 1 FROM ingest_sample WHERE pseudonym = $1 UNION ALL SELECT 1 FROM ingest_window WHERE device_id = $2`, [pseudonym, deviceId]);
  return rows.length;
}

test('a batch stages in a window the packer holds without waiting for it', async () => {
  const { pseudonym, patientId, deviceId, first, second } = await halfStaged();
  const packer = await connect();
  const batch = await connect();
  try {
    // what the packer's transaction holds while it writes the window's Observation
    await packer.query('BEGIN');
    await packer.query(`DELETE FROM ingest_window WHERE device_id = $1`, [deviceId]);
    await packer.query(`DELETE FROM ingest_sample WHERE device_id = $1`, [deviceId]);
    // a batch that had to wait for those rows would fail here instead of staging
    await batch.query(`SET lock_timeout = '2s'`);
    expect(await stageSamples(on(batch), 'default', second)).toBe(30);
    await packer.query('ROLLBACK');
  } finally {
    await packer.end();
    await batch.end();
  }
  expect(await srv.running.ingest!.packer.packDue()).toBe(1);
  expect((await packedData(patientId)).values).toEqual([...first, ...second.map((s) => s.value)]);
  expect(await leftStaged(pseudonym, deviceId)).toBe(0);
});

test('samples committed while their window is packed are packed in the next round', async () => {
  const { pseudonym, patientId, deviceId, first, second } = await halfStaged();
  const batch = await connect();
  try {
    await batch.query('BEGIN');
    expect(await stageSamples(on(batch), 'default', second)).toBe(30);
    // the packer takes what has committed and does not wait for the open batch
    expect(await srv.running.ingest!.packer.packDue()).toBe(1);
    expect(await packedData(patientId)).toEqual({ values: [...first, ...second.map(() => NaN)], versionId: '1' });
    await batch.query('COMMIT');
  } finally {
    await batch.end();
  }
  expect(await srv.running.ingest!.packer.packDue()).toBe(1);
  expect(await packedData(patientId)).toEqual({ values: [...first, ...second.map((s) => s.value)], versionId: '2' });
  expect(await leftStaged(pseudonym, deviceId)).toBe(0);
});
