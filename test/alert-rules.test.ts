import type { MqttClient } from 'mqtt';
import { call } from './harness.js';
import { eventually, publish, registerPatient, uniqueName, type IngestTestServer, startBotServer, stopBotServer } from './mqtt-harness.js';

// The rules that look past one reading: SpO2 low for a while within a window (1 Hz over MQTT),
// high systolic on repeated series, and weight gain over days. Each raises once, at its level.

let srv: IngestTestServer;
let pub: MqttClient;

beforeAll(async () => ({ srv, pub } = await startBotServer(['vital-thresholds', 'vital-thresholds-aggregates', 'heart-rate-habit'])));
afterAll(() => stopBotServer({ srv, pub }));

const issuesOf = async (patient: string) => ((await call(srv, 'GET', `DetectedIssue?patient=Patient/${patient}`)).body.entry ?? []).map((e: any) => e.resource);

const reading = (patient: string, at: string, fields: object) => ({
  resourceType: 'Observation',
  status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
  subject: { reference: `Patient/${patient}` },
  effectiveDateTime: at,
  ...fields,
});
const bp = (patient: string, at: string, sbp: number, dbp: number) =>
  reading(patient, at, {
    code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
    component: [
      { code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: sbp, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
      { code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] }, valueQuantity: { value: dbp, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
    ],
  });
const weight = (patient: string, at: string, kg: number) =>
  reading(patient, at, { code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] }, valueQuantity: { value: kg, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' } });

test('SpO2 at 88 % for 100 s raises nothing; 30 s more within 10 minutes raise one alert naming the minutes', async () => {
  const pseudonym = uniqueName('p');
  const patient = await registerPatient(srv, pseudonym, [`${pseudonym}-w`]);
  const topic = srv.topic(pseudonym, `${pseudonym}-w`, 'oxygen-saturation');
  const stream = (seq: number, start: string, values: number[]) => publish(pub, topic, { format: 'serium-compact/1', seq, start, interval_ms: 1000, unit: '%', values });
  // minute 0: 60 s at 88; minute 1: 40 s at 88 then 94 → 100 s below 90
  await stream(1, '2026-11-21T02:00:00Z', [...Array(60).fill(88), ...Array(40).fill(88), ...Array(20).fill(94)]);
  await eventually(async () => (await call(srv, 'GET', `Observation?subject=Patient/${patient}&code=http://loinc.org|2708-6&category:not=https://serium.dev/fhir/CodeSystem/observation-category|aggregate&_summary=count`)).body.total === 2, 20_000);
  await new Promise((r) => setTimeout(r, 1000));
  expect(await issuesOf(patient)).toHaveLength(0);
  // minute 6: 30 s at 89 → 130 s below 90 within 10 minutes
  await stream(2, '2026-11-21T02:06:00Z', [...Array(30).fill(89), ...Array(30).fill(95)]);
  const [issue] = await eventually(async () => {
    const found = await issuesOf(patient);
    return found.length ? found : undefined;
  }, 20_000);
  expect(issue).toMatchObject({ severity: 'moderate', code: { coding: [{ code: 'spo2-low-sustained' }] }, detail: 'SpO2 below 90 % for 130 s within 10 minutes' });
  expect(issue.implicated).toHaveLength(3);
});

test('systolic 160 or more on two series within 72 h raises one alert; one series does not', async () => {
  const patient = (await registerPatient(srv, uniqueName('p'), [])).replace(/^Patient\//, '');
  for (const [at, sbp] of [
    ['2026-11-19T08:00:00Z', 166],
    ['2026-11-19T08:01:00Z', 164],
  ] as const)
    await call(srv, 'POST', 'Observation', bp(patient, at, sbp, 92));
  await eventually(async () => (await call(srv, 'GET', `Observation?subject=Patient/${patient}&code=http://loinc.org|85354-9&category=https://serium.dev/fhir/CodeSystem/observation-category|aggregate`)).body.entry?.length === 1);
  await new Promise((r) => setTimeout(r, 800));
  expect(await issuesOf(patient)).toHaveLength(0);
  for (const [at, sbp] of [
    ['2026-11-20T08:00:00Z', 170],
    ['2026-11-20T08:01:00Z', 162],
  ] as const)
    await call(srv, 'POST', 'Observation', bp(patient, at, sbp, 95));
  const [issue] = await eventually(async () => {
    const found = await issuesOf(patient);
    return found.length ? found : undefined;
  });
  expect(issue).toMatchObject({ severity: 'moderate', code: { coding: [{ code: 'systolic-high-repeated' }] } });
  expect(issue.detail).toMatch(/on 2 series within 72 h/);
  expect(issue.implicated).toHaveLength(4);
  expect(issue.evidence[0].detail).toHaveLength(2);
});

test('weight up 2 kg within 3 days is an emergency; 1.9 kg is not', async () => {
  const patient = await registerPatient(srv, uniqueName('p'), []);
  await call(srv, 'POST', 'Observation', weight(patient, '2026-11-18T06:00:00Z', 80));
  await call(srv, 'POST', 'Observation', weight(patient, '2026-11-19T07:00:00Z', 80.5));
  await call(srv, 'POST', 'Observation', weight(patient, '2026-11-20T07:00:00Z', 81.9));
  await new Promise((r) => setTimeout(r, 1000));
  expect(await issuesOf(patient)).toHaveLength(0);
  const last = await call(srv, 'POST', 'Observation', weight(patient, '2026-11-21T07:00:00Z', 82.6));
  const [issue] = await eventually(async () => {
    const found = await issuesOf(patient);
    return found.length ? found : undefined;
  });
  // against the lowest weight of the 3 days before: 80.5 (the 80 of 18 November, 06:00, is more than 3 days older)
  expect(issue).toMatchObject({ severity: 'high', code: { coding: [{ code: 'weight-gain' }] }, detail: 'Weight 82.6 kg, up 2.1 kg from 80.5 kg within 3 days' });
  expect(issue.implicated[0].reference).toBe(`Observation/${last.body.id}`);
});

test('heart rate above habit: an hour of windows with an EWMA z-score of 2 or more advises the patient once', async () => {
  const patient = await registerPatient(srv, uniqueName('p'), []);
  const start = Date.parse('2026-11-21T10:00:00Z');
  const window = (i: number, z: number) => ({
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: 'https://serium.dev/fhir/CodeSystem/observation-category', code: 'aggregate' }] }],
    code: { coding: [{ system: 'https://serium.dev/fhir/CodeSystem/rpm-metric', code: 'heart-rate-5min-window' }] },
    subject: { reference: `Patient/${patient}` },
    effectivePeriod: { start: new Date(start + (i - 4) * 60_000).toISOString(), end: new Date(start + (i + 1) * 60_000).toISOString() },
    derivedFrom: [{ reference: 'Observation/some-minute' }],
    component: [{ code: { coding: [{ system: 'https://serium.dev/fhir/CodeSystem/rpm-metric', code: 'ewma-z-score' }] }, valueQuantity: { value: z, unit: '1', system: 'http://unitsofmeasure.org', code: '1' } }],
  });
  const advice = async () => ((await call(srv, 'GET', `Communication?subject=Patient/${patient}`)).body.entry ?? []).map((e: any) => e.resource);
  // 59 windows at 2.5 and one at 1.9 in the hour: not every window is above habit
  for (let i = 0; i < 60; i++) await call(srv, 'POST', 'Observation', window(i, i === 30 ? 1.9 : 2.5));
  await new Promise((r) => setTimeout(r, 1500));
  expect(await advice()).toHaveLength(0);
  // the next hour, all above: one advice, and no more for further windows that day
  for (let i = 60; i < 125; i++) await call(srv, 'POST', 'Observation', window(i, 2.2));
  const [c] = await eventually(async () => {
    const found = await advice();
    return found.length ? found : undefined;
  });
  expect(c).toMatchObject({ recipient: [{ reference: `Patient/${patient}` }], category: [{ coding: [{ code: 'instruction' }] }] });
  expect(c.payload[0].contentString).toMatch(/^Heart rate above your usual for an hour/);
  await new Promise((r) => setTimeout(r, 1000));
  expect(await advice()).toHaveLength(1);
  expect((await call(srv, 'GET', `DetectedIssue?patient=Patient/${patient}&_summary=count`)).body.total).toBe(0);
}, 60_000);
