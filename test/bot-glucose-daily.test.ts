import type { MqttClient } from 'mqtt';
import { glucose } from '../bots/glucose-daily.js';
import { call } from './harness.js';
import { eventually, publish, registerPatient, type IngestTestServer, startBotServer, stopBotServer } from './mqtt-harness.js';

// Meter readings over MQTT to the day's time in range and the means before and after meals.
// Figures worked out by hand.

let srv: IngestTestServer;
let pub: MqttClient;

beforeAll(async () => ({ srv, pub } = await startBotServer(['glucose-daily'])));
afterAll(() => stopBotServer({ srv, pub }));

test('the arithmetic', () => {
  expect(glucose.inRange([69, 70, 180, 181])).toBe(50);
  expect(glucose.mean([95, 105])).toBe(100);
});

test("one day's readings: 3 of 4 in range, means before and after meals", async () => {
  const patientId = await registerPatient(srv, 'glu-p', ['glu-m']);
  const reading = (value: number, meal: string, at: string) => ({
    blood_glucose: { value, unit: 'mg/dL' },
    temporal_relationship_to_meal: meal,
    effective_time_frame: { date_time: at },
  });
  const topic = srv.topic('glu-p', 'glu-m', 'blood-glucose');
  await publish(pub, topic, reading(95, 'before breakfast', '2026-11-20T07:00:00Z'));
  await publish(pub, topic, reading(190, 'after breakfast', '2026-11-20T09:00:00Z'));
  await publish(pub, topic, reading(105, 'before lunch', '2026-11-20T12:00:00Z'));
  await publish(pub, topic, reading(160, 'after lunch', '2026-11-20T14:00:00Z'));
  const daily = async () => {
    const r = await call(srv, 'GET', `Observation?subject=Patient/${patientId}&code=https://serium.dev/fhir/CodeSystem/rpm-metric|`);
    return Object.fromEntries((r.body.entry ?? []).map((e: any) => [e.resource.code.coding[0].code, e.resource]));
  };
  const found = await eventually(async () => {
    const d = await daily();
    return d['glucose-time-in-range']?.derivedFrom.length === 4 && d['glucose-post-meal-mean']?.derivedFrom.length === 2 ? d : undefined;
  }, 20_000);
  expect(found['glucose-time-in-range'].valueQuantity.value).toBe(75);
  expect(found['glucose-pre-meal-mean'].valueQuantity.value).toBe(100);
  expect(found['glucose-post-meal-mean'].valueQuantity.value).toBe(175);
  expect(found['glucose-time-in-range'].effectivePeriod).toEqual({ start: '2026-11-20T00:00:00.000Z', end: '2026-11-21T00:00:00.000Z' });
});
