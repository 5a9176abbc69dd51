import pg from 'pg';
import type { MqttClient } from 'mqtt';
import { call, eventually } from './harness.js';
import { publish, publisher, registerPatient, startIngestServer, uniqueName, type IngestTestServer } from './mqtt-harness.js';
import { databaseUrl } from './test-database.js';
import { stageSamples } from '../src/ingest/samples.js';

// A batch staging samples in a window while the packer packs it: the packer deletes the window's
// row first, and the batch holds that row until it commits, so the packer waits and then takes
// the batch's samples too. None is left staged without a window to be packed by.

let srv: IngestTestServer;
let pub: MqttClient;

beforeAll(async () => {
  // the packer runs only when the test says so
  srv = await startIngestServer({ INGEST_PACK_DELAY_MS: '0', INGEST_PACK_INTERVAL_MS: '3600000' });
  pub = await publisher();
});

afterAll(async () => {
  await pub?.endAsync();
  await srv?.stop();
});

test('samples staged while their window is being packed are packed with it', async () => {
  const pseudonym = uniqueName('p');
  const patientId = await registerPatient(srv, pseudonym, [`${pseudonym}-w`]);
  const first = Array.from({ length: 30 }, (_, i) => 60 + i);
  await publish(pub, srv.topic(pseudonym, `${pseudonym}-w`, 'heart-rate'), { format: 'serium-compact/1', seq: 0, start: '2026-11-20T08:00:00Z', interval_ms: 1000, unit: 'beats/min', values: first });
  const { db } = srv.running;
  const staged = await eventually(async () => {
    const { rows } = await db.query<any>(`SELECT s.*, w.due_at FROM ingest_sample s JOIN ingest_window w USING (tenant, device_id, metric, window_start) WHERE s.pseudonym = $1`, [pseudonym]);
    return rows.length === 30 && rows[0];
  });

  // the second half of the minute, staged by a batch whose transaction is still open
  const batch = new pg.Client({ connectionString: databaseUrl(srv.databaseName) });
  await batch.connect();
  try {
    await batch.query('BEGIN');
    const samples = Array.from({ length: 30 }, (_, i) => ({
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
    const inBatch = { query: (sql: string, params?: unknown[]) => batch.query(sql, params) } as Parameters<typeof stageSamples>[0];
    expect(await stageSamples(inBatch, 'default', samples)).toBe(30);
    const packing = srv.running.ingest!.packer.packDue();
    let packed = false;
    void packing.then(() => (packed = true));
    await new Promise((r) => setTimeout(r, 500));
    // the packer waits for the batch
    expect(packed).toBe(false);
    await batch.query('COMMIT');
    expect(await packing).toBe(1);
  } finally {
    await batch.end();
  }

  const r = await call(srv, 'GET', `Observation?subject=Patient/${patientId}`);
  const [observation] = r.body.entry.map((e: any) => e.resource);
  expect(observation.valueSampledData.data.split(' ').map(Number)).toEqual([...first, ...Array.from({ length: 30 }, (_, i) => 100 + i)]);
  const left = await db.query(`SELECT 1 FROM ingest_sample WHERE pseudonym = $1 UNION ALL SELECT 1 FROM ingest_window WHERE device_id = $2`, [pseudonym, staged.device_id]);
  expect(left.rows).toHaveLength(0);
});
