import type { MqttClient } from 'mqtt';
import { singleReadingBreaches } from '../src/alerting/checks/single-reading.js';
import { readFileSync } from 'node:fs';
import { readingCodes } from '../src/alerting/checks/observations.js';
import { defaultRuleMap } from '../src/alerting/rules.js';
import { call } from './harness.js';
import { eventually, publish, registerPatient, uniqueName, type IngestTestServer, startBotServer, stopBotServer } from './mqtt-harness.js';

// From a device reading on MQTT to an emergency Communication: the reading becomes an
// Observation, the installed Subscription runs the emergency-threshold bot, which writes a
// DetectedIssue, a Flag and a Communication to the care team, once per episode.

let srv: IngestTestServer;
let pub: MqttClient;

beforeAll(async () => ({ srv, pub } = await startBotServer(['vital-thresholds'])));
afterAll(() => stopBotServer({ srv, pub }));

const spo2 = (value: number, at: string) => ({ oxygen_saturation: { value, unit: '%' }, effective_time_frame: { date_time: at } });

test('an SpO2 of 82 % raises one alert, with a Flag and an urgent Communication to the care team', async () => {
  const pseudonym = uniqueName('p');
  const patientId = await registerPatient(srv, pseudonym, [`${pseudonym}-ox`]);
  await call(srv, 'POST', 'Practitioner', { resourceType: 'Practitioner', id: undefined, name: [{ text: 'Nurse on duty' }] }).then(async (r) =>
    call(srv, 'POST', 'CareTeam', { resourceType: 'CareTeam', status: 'active', subject: { reference: `Patient/${patientId}` }, participant: [{ member: { reference: `Practitioner/${r.body.id}` } }] }),
  );
  const topic = srv.topic(pseudonym, `${pseudonym}-ox`, 'oxygen-saturation');
  await publish(pub, topic, spo2(96, '2026-11-21T03:00:00Z')); // normal: nothing
  await publish(pub, topic, spo2(82, '2026-11-21T03:05:00Z'));
  const [issue] = await eventually(async () => {
    const r = await call(srv, 'GET', `DetectedIssue?patient=Patient/${patientId}`);
    return r.body.entry?.length ? r.body.entry.map((e: any) => e.resource) : undefined;
  }, 20_000);
  expect(issue).toMatchObject({ severity: 'high', code: { coding: [{ code: 'spo2-critical' }] }, author: { reference: 'Device/bot-vital-thresholds' } });
  const implicated = await call(srv, 'GET', issue.implicated[0].reference);
  expect(implicated.body.valueQuantity.value).toBe(82);
  expect(issue.meta.source).toBe('urn:serium:bot:vital-thresholds');

  const flags = (await call(srv, 'GET', `Flag?patient=Patient/${patientId}`)).body.entry;
  expect(flags).toHaveLength(1);
  const comms = (await call(srv, 'GET', `Communication?subject=Patient/${patientId}`)).body.entry.map((e: any) => e.resource);
  expect(comms).toHaveLength(1);
  expect(comms[0]).toMatchObject({ priority: 'urgent', about: [{ reference: `DetectedIssue/${issue.id}` }] });
  expect(comms[0].recipient[0].reference).toMatch(/^Practitioner\//);

  // the same episode: a second low reading raises nothing new while the Flag is active
  await publish(pub, topic, spo2(80, '2026-11-21T03:06:00Z'));
  // the readings only: the rollups and the daily Serium score come along too
  await eventually(async () => (await call(srv, 'GET', `Observation?subject=Patient/${patientId}&category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs&_summary=count`)).body.total === 3);
  await new Promise((r) => setTimeout(r, 600));
  expect((await call(srv, 'GET', `DetectedIssue?patient=Patient/${patientId}&_summary=count`)).body.total).toBe(1);
});

test('the rules take the readings a rule reads, not the heart-rate stream, which reaches them through its windows', async () => {
  const subscription = JSON.parse(readFileSync(new URL('../subscriptions/vital-thresholds.json', import.meta.url), 'utf8'));
  const filters: string[] = subscription._criteria.extension.map((e: { valueString: string }) => e.valueString);
  const codes = filters.find((f) => f.startsWith('code='))!.slice(5).split(',');
  expect(codes.sort()).toEqual(readingCodes.map((c) => `http://loinc.org|${c}`).sort());

  const statusEvents = async () =>
    Number((await call(srv, 'GET', 'Subscription/bot-vital-thresholds/$status')).body.entry[0].resource.parameter.find((p: any) => p.name === 'events-since-subscription-start').valueString);
  const before = await statusEvents();
  const subject = { reference: `Patient/${uniqueName('p')}` };
  const reading = (code: string, value: number, unit: string) => ({
    resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code }] }, subject,
    effectiveDateTime: '2026-11-21T04:00:00Z', valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
  });
  expect((await call(srv, 'POST', 'Observation', reading('8867-4', 71, '/min'))).status).toBe(201);
  const spo2Reading = await call(srv, 'POST', 'Observation', reading('2708-6', 97, '%'));
  // events are matched in the order they were written: once the SpO2 counts, the heart rate was looked at
  await eventually(async () => (await statusEvents()) > before);
  expect(await statusEvents()).toBe(before + 1);
  const events = (await call(srv, 'GET', `Subscription/bot-vital-thresholds/$events?eventsSinceNumber=${before + 1}&content=id-only`)).body;
  expect(events.entry[1].fullUrl).toBe(`${srv.baseUrl}/Observation/${spo2Reading.body.id}`);
});

test.each([
  ['SpO2 84', { code: { coding: [{ system: 'http://loinc.org', code: '2708-6' }] }, valueQuantity: { value: 84, code: '%' } }, 'spo2-critical'],
  ['SpO2 85', { code: { coding: [{ system: 'http://loinc.org', code: '2708-6' }] }, valueQuantity: { value: 85, code: '%' } }, undefined],
  ['SpO2 window with one flagged 70', { code: { coding: [{ system: 'http://loinc.org', code: '2708-6' }] }, valueSampledData: { origin: { value: 0 }, period: 1000, dimensions: 1, data: '95 70 94' }, extension: [{ url: 'https://serium.dev/fhir/StructureDefinition/sample-quality', extension: [{ url: 'flag', valueCode: 'motion' }, { url: 'samples', valueString: '1' }] }] }, undefined],
  ['SpO2 window with an unflagged 83', { code: { coding: [{ system: 'http://loinc.org', code: '2708-6' }] }, valueSampledData: { origin: { value: 0 }, period: 1000, dimensions: 1, data: '95 83 E' } }, 'spo2-critical'],
  ['BP 180/90', { code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] }, component: [{ code: { coding: [{ code: '8480-6' }] }, valueQuantity: { value: 180 } }, { code: { coding: [{ code: '8462-4' }] }, valueQuantity: { value: 90 } }] }, 'bp-crisis'],
  ['BP 179/119', { code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] }, component: [{ code: { coding: [{ code: '8480-6' }] }, valueQuantity: { value: 179 } }, { code: { coding: [{ code: '8462-4' }] }, valueQuantity: { value: 119 } }] }, undefined],
  ['glucose 301', { code: { coding: [{ system: 'http://loinc.org', code: '41653-7' }] }, valueQuantity: { value: 301, code: 'mg/dL' } }, 'glucose-critical-high'],
  ['glucose 53', { code: { coding: [{ system: 'http://loinc.org', code: '88365-2' }] }, valueQuantity: { value: 53, code: 'mg/dL' } }, 'glucose-critical-low'],
  ['glucose 54 (alert level, not emergency)', { code: { coding: [{ system: 'http://loinc.org', code: '88365-2' }] }, valueQuantity: { value: 54, code: 'mg/dL' } }, 'glucose-low'],
  ['glucose 69', { code: { coding: [{ system: 'http://loinc.org', code: '88365-2' }] }, valueQuantity: { value: 69, code: 'mg/dL' } }, 'glucose-low'],
  ['glucose 70', { code: { coding: [{ system: 'http://loinc.org', code: '88365-2' }] }, valueQuantity: { value: 70, code: 'mg/dL' } }, undefined],
  ['glucose 250', { code: { coding: [{ system: 'http://loinc.org', code: '41653-7' }] }, valueQuantity: { value: 250, code: 'mg/dL' } }, undefined],
  ['glucose 251 (alert level)', { code: { coding: [{ system: 'http://loinc.org', code: '41653-7' }] }, valueQuantity: { value: 251, code: 'mg/dL' } }, 'glucose-high'],
  ['glucose 300', { code: { coding: [{ system: 'http://loinc.org', code: '41653-7' }] }, valueQuantity: { value: 300, code: 'mg/dL' } }, 'glucose-high'],
  ['an aggregate is not a reading', { code: { coding: [{ system: 'http://loinc.org', code: '2708-6' }] }, valueQuantity: { value: 80, code: '%' }, derivedFrom: [{ reference: 'Observation/x' }] }, undefined],
])('%s', (_name, o, expected) => {
  expect(singleReadingBreaches({ resourceType: 'Observation', status: 'final', ...(o as object) } as never, defaultRuleMap)[0]?.rule.id).toBe(expected);
});
