import type { MqttClient } from 'mqtt';
import { call, eventually } from './harness.js';
import { publish, registerPatient, startPackOnDemandServer, stopBotServer, uniqueName, type IngestTestServer } from './mqtt-harness.js';
import { stageSamples } from '../src/ingest/samples.js';

// A window whose samples make no valid Observation must not hold up the others packed with it:
// it is set aside for an hour, its samples kept for whoever can mend them, and logged.

let srv: IngestTestServer;
let pub: MqttClient;

beforeAll(async () => ({ srv, pub } = await startPackOnDemandServer()));
afterAll(() => stopBotServer({ srv, pub }));

test('a window that cannot be packed is set aside for an hour; the window packed with it is stored', async () => {
  const pseudonym = uniqueName('p');
  const patientId = await registerPatient(srv, pseudonym, [`${pseudonym}-w`]);
  const values = Array.from({ length: 60 }, (_, i) => 60 + (i % 20));
  await publish(pub, srv.topic(pseudonym, `${pseudonym}-w`, 'heart-rate'), { format: 'serium-compact/1', seq: 0, start: '2026-11-20T08:00:00Z', interval_ms: 1000, unit: 'beats/min', values });
  const { db } = srv.running;
  const staged = await eventually(async () => {
    const { rows } = await db.query<any>(`SELECT * FROM ingest_sample WHERE pseudonym = $1`, [pseudonym]);
    return rows.length === 60 && rows[0];
  });
  // the next minute holds a sample whose quality flag no FHIR code can be (it starts with a space)
  const bad = {
    deviceId: staged.device_id,
    metric: staged.metric,
    windowStart: '2026-11-20T08:01:00.000Z',
    slot: 0,
    value: 70,
    quality: [' artefact'],
    patientId: staged.patient_id,
    deviceKey: staged.device_key,
    pseudonym,
    gatewayId: undefined,
    sourceOffset: staged.source_offset,
    dueAt: '2026-11-20T08:02:00.000Z',
  };
  expect(await stageSamples(db, 'default', [bad])).toBe(1);

  const before = Date.now();
  expect(await srv.running.ingest!.packer.packDue()).toBe(1);
  const after = Date.now();

  const r = await call(srv, 'GET', `Observation?subject=Patient/${patientId}`);
  expect(r.body.entry.map((e: any) => e.resource.effectivePeriod.start)).toEqual(['2026-11-20T08:00:00.000Z']);
  // the bad window keeps its sample and comes due again an hour later
  const { rows } = await db.query<{ due_at: Date; samples: number }>(
    `SELECT w.due_at, (SELECT count(*)::int FROM ingest_sample s WHERE s.device_id = w.device_id AND s.window_start = w.window_start) AS samples
       FROM ingest_window w WHERE w.device_id = $1`,
    [staged.device_id],
  );
  expect(rows).toHaveLength(1);
  expect(rows[0].samples).toBe(1);
  expect(rows[0].due_at.getTime()).toBeGreaterThanOrEqual(before + 3_600_000 - 1000);
  expect(rows[0].due_at.getTime()).toBeLessThanOrEqual(after + 3_600_000 + 1000);
  // and is not tried again before then
  expect(await srv.running.ingest!.packer.packDue()).toBe(0);
});
