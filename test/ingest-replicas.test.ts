import { randomBytes } from 'node:crypto';
import { call, serveDatabase, type TestServer } from './harness.js';
import { brokerUrl, eventually, publisher, registerPatient, uniqueName } from './mqtt-harness.js';
import { ensureTemplate, runPrefix, templateName, withAdmin } from './test-database.js';

// Two Serium replicas on one database share the device stream through an MQTT 5 shared
// subscription: each message reaches one of them, and every reading is stored once.

const root = uniqueName('rep');
const name = `${runPrefix}_${randomBytes(6).toString('hex')}`;
let a: TestServer & { stop(keep?: boolean): Promise<void> };
let b: TestServer & { stop(keep?: boolean): Promise<void> };

const replica = (id: string) =>
  serveDatabase(name, {
    INGEST: 'on',
    MQTT_URL: brokerUrl,
    MQTT_TOPIC_ROOT: root,
    MQTT_SHARE_GROUP: root,
    MQTT_CLIENT_ID: `${root}-${id}`,
    INGEST_DEVICE_RATE: '0',
    INGEST_BATCH_MAX: '20',
  });

beforeAll(async () => {
  await ensureTemplate();
  await withAdmin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${templateName}`));
  a = await replica('a');
  b = await replica('b');
});

afterAll(async () => {
  await b?.stop(true);
  await a?.stop();
});

test('each of 400 readings is stored once, and both replicas took part', async () => {
  const patientId = await registerPatient(a, 'rep-p', ['rep-w']);
  const pub = await publisher();
  const t0 = Date.parse('2026-11-12T00:00:00Z');
  await Promise.all(
    Array.from({ length: 400 }, (_, i) =>
      pub.publishAsync(
        `${root}/default/rep-p/rep-w/heart-rate`,
        JSON.stringify({ heart_rate: { value: 70, unit: 'beats/min' }, effective_time_frame: { date_time: new Date(t0 + i * 1000).toISOString() } }),
        { qos: 1 },
      ),
    ),
  );
  await pub.endAsync();
  await eventually(async () => (await call(b, 'GET', `Observation?subject=Patient/${patientId}&_summary=count`)).body.total === 400, 30_000, 200);
  const messages = (s: TestServer) => s.running.ingest!.counters.messages;
  expect(messages(a) + messages(b)).toBe(400);
  expect(messages(a)).toBeGreaterThan(0);
  expect(messages(b)).toBeGreaterThan(0);
});
