import type { MqttClient } from 'mqtt';
import { call } from './harness.js';
import { collectDeadLetters, eventually, publish, publisher, startIngestServer, type IngestTestServer } from './mqtt-harness.js';
import { libraryCases } from './omh-cases.js';

// Every test body of the Open mHealth schema library, published over a real broker: each
// shouldPass body is stored as one Observation, each shouldFail body is answered on the
// dead-letter topic and stores nothing. Each body gets its own device, so that bodies which
// happen to describe the same reading are not taken for re-sent messages.

const passing = libraryCases('shouldPass');
const failing = libraryCases('shouldFail');
const pseudonym = 'omh-corpus';

let srv: IngestTestServer;
let pub: MqttClient;
let dead: Awaited<ReturnType<typeof collectDeadLetters>>;

beforeAll(async () => {
  srv = await startIngestServer({ INGEST_DEVICE_RATE: '0' });
  pub = await publisher();
  dead = await collectDeadLetters(srv.root);
  const devices = [...passing, ...failing].map((_, i) => ({
    resource: {
      resourceType: 'Device',
      identifier: [{ system: 'urn:serium:device', value: `dev-${i}` }],
      patient: { reference: 'urn:uuid:6f1c1f0e-0000-4000-8000-000000000001' },
    },
    request: { method: 'POST', url: 'Device' },
  }));
  const bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        fullUrl: 'urn:uuid:6f1c1f0e-0000-4000-8000-000000000001',
        resource: { resourceType: 'Patient', identifier: [{ system: 'urn:serium:pseudonym', value: pseudonym }] },
        request: { method: 'POST', url: 'Patient' },
      },
      ...devices,
    ],
  };
  expect((await call(srv, 'POST', '', bundle)).status).toBe(200);
});

afterAll(async () => {
  await pub?.endAsync();
  await dead?.close();
  await srv?.stop();
});

test(`all ${passing.length} shouldPass bodies are stored and all ${failing.length} shouldFail bodies rejected`, async () => {
  expect(passing.length).toBeGreaterThanOrEqual(100);
  expect(failing.length).toBeGreaterThanOrEqual(100);
  const all = [...passing, ...failing];
  await Promise.all(all.map(([, segment, body], i) => publish(pub, srv.topic(pseudonym, `dev-${i}`, segment), body)));

  const letters = await eventually(async () => (dead.letters.length >= failing.length ? dead.letters : undefined), 30_000);
  const stored = await eventually(async () => {
    const r = await call(srv, 'GET', `Observation?_count=500&_elements=device`);
    return r.body.entry?.length >= passing.length ? r.body.entry.map((e: any) => e.resource.device.reference as string) : undefined;
  }, 30_000);

  const deviceIds = new Map<string, number>();
  const devices = await call(srv, 'GET', 'Device?_count=500');
  for (const e of devices.body.entry) deviceIds.set(`Device/${e.resource.id}`, Number(e.resource.identifier[0].value.slice(4)));
  const storedIndexes = stored.map((ref: string) => deviceIds.get(ref)).sort((a: number, b: number) => a - b);
  expect(storedIndexes).toEqual(passing.map((_, i) => i));

  const rejected = letters.map((l) => [Number(l.topic.split('/')[3].slice(4)), l.body.reason]).sort((a, b) => (a[0] as number) - (b[0] as number));
  expect(rejected).toEqual(failing.map((_, i) => [passing.length + i, 'schema']));
});
