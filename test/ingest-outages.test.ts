import mqtt, { type MqttClient } from 'mqtt';
import { call, freePort } from './harness.js';
import { eventually, registerPatient, startIngestServer, uniqueName, type IngestTestServer } from './mqtt-harness.js';
import { PrivateBroker } from './mosquitto.js';
import { withAdmin } from './test-database.js';

// Outages of the broker and of PostgreSQL while devices keep publishing: Serium reconnects by
// itself and every reading is stored exactly once. The broker here is a Mosquitto of the test's
// own (persistence on), so stopping it disturbs no other test.

let broker: PrivateBroker;

let srv: IngestTestServer;
let pub: MqttClient;

beforeAll(async () => {
  broker = new PrivateBroker(await freePort());
  await broker.start();
  srv = await startIngestServer({ MQTT_URL: broker.url, INGEST_DEVICE_RATE: '0' });
  pub = await mqtt.connectAsync(broker.url, { clientId: uniqueName('pub'), protocolVersion: 5, reconnectPeriod: 200 });
});

afterAll(async () => {
  await pub?.endAsync(true);
  await srv?.stop();
  await broker?.remove();
});

/** Publishes one heart rate per second of simulated time; QoS 1, so mqtt.js resends what the broker did not confirm. */
function send(pseudonym: string, device: string, from: number, to: number): Promise<unknown>[] {
  const t0 = Date.parse('2026-11-10T00:00:00Z');
  const sent: Promise<unknown>[] = [];
  for (let i = from; i < to; i++) {
    const body = { heart_rate: { value: 60 + (i % 40), unit: 'beats/min' }, effective_time_frame: { date_time: new Date(t0 + i * 1000).toISOString() } };
    sent.push(pub.publishAsync(srv.topic(pseudonym, device, 'heart-rate'), JSON.stringify(body), { qos: 1 }));
  }
  return sent;
}

async function stored(patientId: string): Promise<number> {
  const r = await call(srv, 'GET', `Observation?subject=Patient/${patientId}&_summary=count&_total=accurate`);
  return r.body.total;
}

test('a broker restart in the middle of a stream loses nothing', async () => {
  const pseudonym = uniqueName('p');
  const patientId = await registerPatient(srv, pseudonym, [`${pseudonym}-w`]);
  await Promise.all(send(pseudonym, `${pseudonym}-w`, 0, 100));
  await broker.stop();
  const whileDown = send(pseudonym, `${pseudonym}-w`, 100, 200);
  await new Promise((r) => setTimeout(r, 1000));
  await broker.start();
  await Promise.all(whileDown);
  await Promise.all(send(pseudonym, `${pseudonym}-w`, 200, 300));
  expect(await eventually(async () => (await stored(patientId)) === 300, 30_000, 200)).toBe(true);
  await new Promise((r) => setTimeout(r, 300));
  expect(await stored(patientId)).toBe(300);
});

test('PostgreSQL refusing connections for a while: readings wait and are stored once it is back', async () => {
  const pseudonym = uniqueName('p');
  const patientId = await registerPatient(srv, pseudonym, [`${pseudonym}-w`]);
  const dbName = srv.databaseName;
  await withAdmin(async (c) => {
    await c.query(`ALTER DATABASE ${dbName} WITH ALLOW_CONNECTIONS false`);
    await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [dbName]);
  });
  try {
    await Promise.all(send(pseudonym, `${pseudonym}-w`, 0, 150));
    await new Promise((r) => setTimeout(r, 1500));
    expect((await fetch(srv.baseUrl.replace(/\/fhir$/, '/readyz'))).status).toBe(503);
  } finally {
    await withAdmin((c) => c.query(`ALTER DATABASE ${dbName} WITH ALLOW_CONNECTIONS true`));
  }
  await Promise.all(send(pseudonym, `${pseudonym}-w`, 150, 200));
  expect(await eventually(async () => (await stored(patientId)) === 200, 30_000, 200)).toBe(true);
});
