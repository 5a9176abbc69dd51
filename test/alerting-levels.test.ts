import { call, eventually } from './harness.js';
import type { IngestTestServer } from './mqtt-harness.js';
import { AlertingServer, glucose, patientWithTeam } from './alert-people.js';

// Alert levels and a doctor's per-patient overrides (an alert-thresholds Basic), the patient's
// SOS, and message dispatch when a channel fails or nobody can be reached.

const alerting = new AlertingServer();
const { smtp, gateway } = alerting;
let srv: IngestTestServer;

beforeAll(async () => {
  await alerting.start();
  srv = alerting.srv;
});
afterAll(() => alerting.stop());

const search = async (path: string) => ((await call(srv, 'GET', path)).body.entry ?? []).map((e: any) => e.resource);
const settle = () => new Promise((r) => setTimeout(r, 1500));

test('alert level: a moderate DetectedIssue, a Flag, advice to the patient and a message to each clinician, no escalation', async () => {
  const p = await patientWithTeam(srv);
  await call(srv, 'POST', 'Observation', glucose(p.patient, 262));
  const issue = await eventually(async () => (await search(`DetectedIssue?patient=Patient/${p.patient}`))[0]);
  expect(issue).toMatchObject({ severity: 'moderate', code: { coding: [{ code: 'glucose-high' }] } });
  const toPatient = await eventually(async () => smtp.mail.find((m) => m.to.includes(`${p.patient}@home.test`)));
  expect(toPatient.text).toMatch(/Glucose above 250 mg\/dL: one of your readings/);
  await eventually(async () => smtp.mail.find((m) => m.to.includes(`${p.nurse}@care.test`)));
  await eventually(async () => gateway.received.find((r) => JSON.parse(r.body).to === `${p.doctor}-token`));
  await settle();
  expect(await search(`CommunicationRequest?subject=Patient/${p.patient}`)).toHaveLength(0);
  // relatives are told of emergencies only
  expect(gateway.received.filter((r) => JSON.parse(r.body).to.startsWith('+3361111') && JSON.parse(r.body).to.endsWith(p.tag.slice(0, 4)))).toHaveLength(0);
  expect((await search(`Flag?patient=Patient/${p.patient}`)).map((f: any) => f.code.coding[0].code)).toEqual(['glucose-high']);
});

test("a doctor's overrides: another threshold, another level, a rule switched off", async () => {
  const p = await patientWithTeam(srv);
  const rule = (id: string, ...more: object[]) => ({ url: 'https://serium.dev/fhir/StructureDefinition/alert-rule', extension: [{ url: 'rule', valueCode: id }, ...more] });
  const settings = await call(srv, 'POST', 'Basic', {
    resourceType: 'Basic',
    code: { coding: [{ system: 'https://serium.dev/fhir/CodeSystem/basic-type', code: 'alert-thresholds' }] },
    subject: { reference: `Patient/${p.patient}` },
    author: { reference: `Practitioner/${p.doctor}` },
    created: '2026-11-20',
    extension: [
      rule('glucose-critical-low', { url: 'below', valueDecimal: 60 }),
      rule('glucose-high', { url: 'level', valueCode: 'emergency' }, { url: 'above', valueDecimal: 280 }),
      rule('spo2-critical', { url: 'active', valueBoolean: false }),
    ],
  });
  expect(settings.status).toBe(201);
  // 58 is an emergency for this patient (default: below 54)
  await call(srv, 'POST', 'Observation', glucose(p.patient, 58));
  // 270 is no longer anything (threshold raised to 280)
  await call(srv, 'POST', 'Observation', glucose(p.patient, 270, '2026-11-21T09:00:00Z'));
  // SpO2 80 raises nothing: the rule is off
  await call(srv, 'POST', 'Observation', {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '2708-6' }] },
    subject: { reference: `Patient/${p.patient}` },
    effectiveDateTime: '2026-11-21T09:05:00Z',
    valueQuantity: { value: 80, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
  });
  // 290: glucose-high, raised to emergency for this patient
  await call(srv, 'POST', 'Observation', glucose(p.patient, 290, '2026-11-21T09:10:00Z'));
  const issues = await eventually(async () => {
    const found = await search(`DetectedIssue?patient=Patient/${p.patient}`);
    return found.length >= 2 ? found : undefined;
  });
  await settle();
  const all = await search(`DetectedIssue?patient=Patient/${p.patient}`);
  expect(all.map((i: any) => `${i.code.coding[0].code} ${i.severity}`).sort()).toEqual(['glucose-critical-low high', 'glucose-high high']);
  expect(issues).toBeDefined();
});

test('SOS from the patient: an emergency naming the message', async () => {
  const p = await patientWithTeam(srv);
  const sos = await call(srv, 'POST', 'Communication', {
    resourceType: 'Communication',
    status: 'completed',
    topic: { coding: [{ system: 'https://serium.dev/fhir/CodeSystem/alert', code: 'patient-sos' }] },
    subject: { reference: `Patient/${p.patient}` },
    sender: { reference: `Patient/${p.patient}` },
    payload: [{ contentString: 'I fell' }],
  });
  const issue = await eventually(async () => (await search(`DetectedIssue?patient=Patient/${p.patient}`))[0]);
  expect(issue).toMatchObject({ severity: 'high', code: { coding: [{ code: 'patient-sos' }] }, implicated: [{ reference: `Communication/${sos.body.id}` }] });
  expect(issue.detail).toMatch(/SOS sent by the patient: "I fell"/);
  await eventually(async () => smtp.mail.find((m) => m.to.includes(`${p.nurse}@care.test`) && /I fell/.test(m.text)));
});

test('a failing gateway is retried until it takes the message; a person with no reachable contact gets a not-done record', async () => {
  const p = await patientWithTeam(srv);
  let refused = 0;
  gateway.respond = (r) => (JSON.parse(r.body).to === `${p.doctor}-token` && refused++ < 2 ? 503 : 200);
  await call(srv, 'PUT', `Practitioner/${p.nurse}`, { resourceType: 'Practitioner', id: p.nurse, name: [{ text: 'Nurse without contacts' }] });
  await call(srv, 'POST', 'Observation', glucose(p.patient, 255));
  const pushes = await eventually(async () => {
    const found = gateway.received.filter((r) => JSON.parse(r.body).to === `${p.doctor}-token`);
    return found.length === 3 ? found : undefined;
  }, 15_000);
  expect(pushes).toHaveLength(3);
  const toDoctor = await eventually(async () => {
    const [c] = await search(`Communication?recipient=Practitioner/${p.doctor}`);
    return c?.status === 'completed' ? c : undefined;
  });
  expect(toDoctor.medium[0].coding[0].code).toBe('push');
  const toNurse = await eventually(async () => {
    const [c] = await search(`Communication?recipient=Practitioner/${p.nurse}`);
    return c?.status === 'not-done' ? c : undefined;
  });
  expect(toNurse.statusReason.text).toMatch(/no reachable/);
  gateway.respond = () => 200;
}, 60_000);
