import { randomUUID } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { call, put, serveDatabase, type TestServer } from './harness.js';
import { eventually, publish, publisher, registerPatient, startIngestServer, uniqueName, type IngestTestServer } from './mqtt-harness.js';

// The device watch through the server's public surfaces: devices report over MQTT, the watch's
// Flags and Communications are read over REST. A second server on the same database runs the
// watch too, as a replica would.

const settings = {
  SUBSCRIPTIONS: 'on',
  DEVICE_SILENT_AFTER_MS: '1500',
  DEVICE_SILENT_TEAM_AFTER_MS: '3000',
  DEVICE_WATCH_INTERVAL_MS: '200',
  DEVICE_BATTERY_LOW_PERCENT: '20',
};
const alertSystem = 'https://serium.dev/fhir/CodeSystem/alert';
const flagDetail = 'http://hl7.org/fhir/StructureDefinition/flag-detail';
const watch = 'Device/bot-device-watch';

let srv: IngestTestServer;
let replica: TestServer & { stop(keep?: boolean): Promise<void> };
let pub: MqttClient;

beforeAll(async () => {
  srv = await startIngestServer(settings);
  replica = await serveDatabase(srv.databaseName, settings);
  pub = await publisher();
});

afterAll(async () => {
  await pub?.endAsync();
  await replica?.stop(true);
  await srv?.stop();
});

async function get(path: string): Promise<any> {
  const r = await call(srv, 'GET', path);
  expect(r.status).toBe(200);
  return r.body;
}

const entries = (bundle: any): any[] => (bundle.entry ?? []).map((e: any) => e.resource);

/** The watch's Flags about one device, oldest first. */
async function flagsOf(deviceId: string, code: string): Promise<any[]> {
  const all = entries(await get(`Flag?author=${watch}&_count=1000`));
  return all
    .filter((f) => f.extension?.some((e: any) => e.url === flagDetail && e.valueReference?.reference === `Device/${deviceId}`))
    .filter((f) => f.code?.coding?.some((c: any) => c.system === alertSystem && c.code === code))
    .sort((a, b) => a.period.start.localeCompare(b.period.start));
}

/** The Communications about a Flag, as first written (version 1: the dispatcher may have completed them since). */
async function messagesAbout(patientId: string, flagId: string): Promise<any[]> {
  const all = entries(await get(`Communication?subject=Patient/${patientId}&_count=1000`)).filter((c) => c.about?.some((a: any) => a.reference === `Flag/${flagId}`));
  return Promise.all(all.map((c) => get(`Communication/${c.id}/_history/1`)));
}

const categoryOf = (c: any) => c.category[0].coding[0].code;

async function versions(path: string): Promise<number> {
  return (await get(`${path}/_history`)).total;
}

async function heartRate(pseudonym: string, device: string, at: string): Promise<void> {
  await publish(pub, srv.topic(pseudonym, device, 'heart-rate'), {
    header: { id: randomUUID(), creation_date_time: at, schema_id: { namespace: 'omh', name: 'heart-rate', version: '2.0' } },
    body: { heart_rate: { value: 64, unit: 'beats/min' }, effective_time_frame: { date_time: at } },
  });
}

/** A compact batch of four samples ending now, carrying the device's battery charge. */
async function compact(pseudonym: string, device: string, battery: number, seq: number): Promise<void> {
  const start = new Date(Date.now() - 3000).toISOString();
  await publish(pub, srv.topic(pseudonym, device, 'heart-rate'), { format: 'serium-compact/1', seq, start, interval_ms: 1000, unit: 'beats/min', values: [70, 71, 72, 73], battery });
}

const rounds = (n: number) => new Promise((r) => setTimeout(r, n * 200));

test('a silent device: a Flag and a reminder, the care team after the longer silence, nothing twice, and a report ends the episode', async () => {
  const pseudonym = uniqueName('p');
  const patientId = await registerPatient(srv, pseudonym, []);
  const deviceId = `d-${pseudonym}-cuff`;
  const device = {
    resourceType: 'Device',
    id: deviceId,
    status: 'inactive',
    identifier: [{ system: 'urn:serium:device', value: `${pseudonym}-cuff` }],
    deviceName: [{ name: 'blood pressure monitor', type: 'user-friendly-name' }],
    patient: { reference: `Patient/${patientId}` },
  };
  // out of use until its first reading is stored, so a slow ingest cannot make it look silent since its registration
  await put(srv, device);
  const firstReading = new Date().toISOString();
  await heartRate(pseudonym, `${pseudonym}-cuff`, firstReading);
  await eventually(async () => entries(await get(`Observation?device=Device/${deviceId}`)).length > 0);
  expect((await call(srv, 'PUT', `Device/${deviceId}`, { ...device, status: 'active' })).status).toBe(200);

  // the active care team's practitioners and roles hear of it; not an inactive team, a past member or the patient
  for (const id of ['a', 'b', 'gone', 'old']) await put(srv, { resourceType: 'Practitioner', id: `${pseudonym}-${id}` });
  await put(srv, { resourceType: 'PractitionerRole', id: `${pseudonym}-nurse`, practitioner: { reference: `Practitioner/${pseudonym}-b` } });
  await put(srv, {
    resourceType: 'CareTeam',
    id: `${pseudonym}-team`,
    status: 'active',
    subject: { reference: `Patient/${patientId}` },
    participant: [
      { member: { reference: `Practitioner/${pseudonym}-a` } },
      { member: { reference: `PractitionerRole/${pseudonym}-nurse` } },
      { member: { reference: `Practitioner/${pseudonym}-gone` }, period: { end: '2020-01-01T00:00:00Z' } },
      { member: { reference: `Patient/${patientId}` } },
    ],
  });
  await put(srv, {
    resourceType: 'CareTeam',
    id: `${pseudonym}-former`,
    status: 'inactive',
    subject: { reference: `Patient/${patientId}` },
    participant: [{ member: { reference: `Practitioner/${pseudonym}-old` } }],
  });

  const [flag] = await eventually(async () => {
    const f = await flagsOf(deviceId, 'device-silent');
    return f.length ? f : undefined;
  });
  expect(flag).toMatchObject({
    status: 'active',
    subject: { reference: `Patient/${patientId}` },
    author: { reference: watch },
    period: { start: firstReading },
    meta: { source: 'urn:serium:bot:device-watch' },
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/flag-category', code: 'admin' }] }],
  });
  expect(flag.period.end).toBeUndefined();
  // raised once the device had been quiet for DEVICE_SILENT_AFTER_MS, not before
  const raisedAt = Date.parse((await get(`Flag/${flag.id}/_history/1`)).meta.lastUpdated);
  expect(raisedAt - Date.parse(firstReading)).toBeGreaterThanOrEqual(1500);

  const [reminder] = await eventually(async () => {
    const m = await messagesAbout(patientId, flag.id);
    return m.length ? m : undefined;
  });
  expect(reminder).toMatchObject({
    status: 'in-progress',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/communication-category', code: 'reminder' }] }],
    priority: 'routine',
    subject: { reference: `Patient/${patientId}` },
    about: [{ reference: `Flag/${flag.id}` }],
    recipient: [{ reference: `Patient/${patientId}` }],
    sender: { reference: watch },
    meta: { source: 'urn:serium:bot:device-watch' },
  });
  expect(reminder.payload[0].contentString).toMatch(/^Your blood pressure monitor has not sent any readings since .+ UTC\.\n.*switched on/);
  expect(reminder.sent).toBeUndefined();

  const notice = await eventually(async () => (await messagesAbout(patientId, flag.id)).find((c) => categoryOf(c) === 'notification'));
  expect(Date.parse(notice.meta.lastUpdated) - Date.parse(firstReading)).toBeGreaterThanOrEqual(3000);
  expect(notice).toMatchObject({ status: 'in-progress', priority: 'routine', subject: { reference: `Patient/${patientId}` }, about: [{ reference: `Flag/${flag.id}` }], sender: { reference: watch } });
  expect(notice.recipient.map((r: any) => r.reference).sort()).toEqual([`Practitioner/${pseudonym}-a`, `PractitionerRole/${pseudonym}-nurse`]);
  expect(notice.payload[0].contentString).toContain('blood pressure monitor');

  // more rounds, on both servers: nothing new, nothing rewritten
  await rounds(6);
  expect((await flagsOf(deviceId, 'device-silent')).map((f) => f.id)).toEqual([flag.id]);
  expect((await messagesAbout(patientId, flag.id)).map(categoryOf).sort()).toEqual(['notification', 'reminder']);
  expect(await versions(`Flag/${flag.id}`)).toBe(1);

  // the device reports again (an Observation only: its Device does not change): the episode ends
  const secondReading = new Date().toISOString();
  await heartRate(pseudonym, `${pseudonym}-cuff`, secondReading);
  const ended = await eventually(async () => {
    const f = (await flagsOf(deviceId, 'device-silent')).find((x) => x.id === flag.id);
    return f.status === 'inactive' ? f : undefined;
  });
  expect(Date.parse(ended.period.end)).toBeGreaterThanOrEqual(Date.parse(secondReading));
  expect(ended.period.start).toBe(firstReading);
  expect(await versions(`Flag/${flag.id}`)).toBe(2);

  // quiet again after that report: a new episode with its own Flag and reminder
  const next = await eventually(async () => (await flagsOf(deviceId, 'device-silent')).find((f) => f.status === 'active'));
  expect(next.id).not.toBe(flag.id);
  expect(next.period.start).toBe(secondReading);
  const nextMessages = await eventually(async () => {
    const m = await messagesAbout(patientId, next.id);
    return m.length ? m : undefined;
  });
  expect(nextMessages.map(categoryOf)).toEqual(['reminder']);
}, 30000);

test('a low battery: a Flag and one reminder, ended when the charge rises, and a new episode when it falls again', async () => {
  const pseudonym = uniqueName('p');
  const patientId = await registerPatient(srv, pseudonym, ['band']);
  const deviceId = 'd-band';
  await compact(pseudonym, 'band', 15, 1);
  const device = await eventually(async () => {
    const d = await get(`Device/${deviceId}`);
    return d.property?.[0]?.valueQuantity?.[0]?.value === 15 ? d : undefined;
  });
  const reported = device.extension.find((e: any) => e.url === 'https://serium.dev/fhir/StructureDefinition/device-last-report').valueInstant;

  const [flag] = await eventually(async () => {
    const f = await flagsOf(deviceId, 'device-battery-low');
    return f.length ? f : undefined;
  });
  expect(flag).toMatchObject({ status: 'active', subject: { reference: `Patient/${patientId}` }, author: { reference: watch }, period: { start: reported } });
  expect(flag.code.coding[0]).toMatchObject({ system: alertSystem, code: 'device-battery-low' });
  const [reminder] = await eventually(async () => {
    const m = await messagesAbout(patientId, flag.id);
    return m.length ? m : undefined;
  });
  expect(reminder).toMatchObject({ status: 'in-progress', priority: 'routine', recipient: [{ reference: `Patient/${patientId}` }], sender: { reference: watch } });
  expect(categoryOf(reminder)).toBe('reminder');
  expect(reminder.payload[0].contentString).toContain('(15%)');

  await rounds(6);
  expect((await flagsOf(deviceId, 'device-battery-low')).map((f) => f.id)).toEqual([flag.id]);
  expect(await messagesAbout(patientId, flag.id)).toHaveLength(1);

  // charged
  await compact(pseudonym, 'band', 90, 2);
  const ended = await eventually(async () => {
    const [f] = await flagsOf(deviceId, 'device-battery-low');
    return f.status === 'inactive' ? f : undefined;
  });
  expect(ended.period.end).toBeDefined();
  await rounds(4);
  expect(await flagsOf(deviceId, 'device-battery-low')).toHaveLength(1);

  // low again: a new episode
  await compact(pseudonym, 'band', 8, 3);
  const again = await eventually(async () => {
    const f = await flagsOf(deviceId, 'device-battery-low');
    return f.length === 2 && f[1].status === 'active' ? f[1] : undefined;
  });
  const [second] = await eventually(async () => {
    const m = await messagesAbout(patientId, again.id);
    return m.length ? m : undefined;
  });
  expect(second.payload[0].contentString).toContain('(8%)');
}, 30000);

test('a device that never reported counts from its registration; inactive and unassigned devices are left alone', async () => {
  const pseudonym = uniqueName('p');
  const patientId = await registerPatient(srv, pseudonym, ['never']);
  await put(srv, { resourceType: 'Device', id: `d-${pseudonym}-off`, status: 'inactive', patient: { reference: `Patient/${patientId}` } });
  await put(srv, { resourceType: 'Device', id: `d-${pseudonym}-spare`, status: 'active' });
  const registered = (await get('Device/d-never/_history/1')).meta.lastUpdated;

  const [flag] = await eventually(async () => {
    const f = await flagsOf('d-never', 'device-silent');
    return f.length ? f : undefined;
  });
  expect(flag.period.start).toBe(registered);
  const [reminder] = await eventually(async () => {
    const m = await messagesAbout(patientId, flag.id);
    return m.length ? m : undefined;
  });
  expect(reminder.payload[0].contentString).toMatch(/^Your monitoring device has not sent any readings since it was set up for you on /);

  await rounds(4);
  expect(await flagsOf(`d-${pseudonym}-off`, 'device-silent')).toEqual([]);
  expect(await flagsOf(`d-${pseudonym}-spare`, 'device-silent')).toEqual([]);

  // taken out of use: the open episode ends
  const r = await call(srv, 'PUT', 'Device/d-never', { ...(await get('Device/d-never')), status: 'inactive' });
  expect(r.status).toBe(200);
  const ended = await eventually(async () => {
    const [f] = await flagsOf('d-never', 'device-silent');
    return f.status === 'inactive' ? f : undefined;
  });
  expect(ended.period.end).toBeDefined();
}, 30000);

test('a device handed to another patient: the first episode ends, and the new patient\'s silence counts from the hand-over', async () => {
  const first = uniqueName('p');
  const second = uniqueName('p');
  const firstId = await registerPatient(srv, first, []);
  const secondId = await registerPatient(srv, second, []);
  const deviceId = `d-${first}-meter`;
  const device = { resourceType: 'Device', id: deviceId, status: 'active', identifier: [{ system: 'urn:serium:device', value: `${first}-meter` }], patient: { reference: `Patient/${firstId}` } };
  await put(srv, device);
  await compact(first, `${first}-meter`, 80, 1);
  const [flag] = await eventually(async () => {
    const f = await flagsOf(deviceId, 'device-silent');
    return f.length ? f : undefined;
  });
  expect(flag.subject.reference).toBe(`Patient/${firstId}`);

  const r = await call(srv, 'PUT', `Device/${deviceId}`, { ...device, patient: { reference: `Patient/${secondId}` } });
  expect(r.status).toBe(200);
  const handedOver = r.body.meta.lastUpdated;
  const ended = await eventually(async () => {
    const f = (await flagsOf(deviceId, 'device-silent')).find((x) => x.id === flag.id);
    return f.status === 'inactive' ? f : undefined;
  });
  expect(ended.subject.reference).toBe(`Patient/${firstId}`);
  const next = await eventually(async () => (await flagsOf(deviceId, 'device-silent')).find((f) => f.status === 'active'));
  expect(next.subject.reference).toBe(`Patient/${secondId}`);
  expect(next.period.start).toBe(handedOver);
  const [reminder] = await eventually(async () => {
    const m = await messagesAbout(secondId, next.id);
    return m.length ? m : undefined;
  });
  expect(reminder.recipient).toEqual([{ reference: `Patient/${secondId}` }]);
  expect(reminder.payload[0].contentString).toContain('since it was set up for you on');
}, 30000);
