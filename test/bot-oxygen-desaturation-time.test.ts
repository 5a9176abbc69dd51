import type { MqttClient } from 'mqtt';
import { shareBelow90 } from '../bots/oxygen-desaturation-time.js';
import { call } from './harness.js';
import { eventually, publish, registerPatient, type IngestTestServer, startBotServer, stopBotServer } from './mqtt-harness.js';

// Overnight 1 Hz SpO2 over MQTT to the share of time below 90 % over 5 minutes and over the hour,
// quality-flagged samples left out. Figures worked out by hand.

let srv: IngestTestServer;
let pub: MqttClient;

beforeAll(async () => ({ srv, pub } = await startBotServer(['oxygen-desaturation-time'])));
afterAll(() => stopBotServer({ srv, pub }));

test.each([
  [[88, 95], 50],
  [[89.9, 90, 91], 33.3],
  [[], undefined],
])('%j below 90: %s %', (values, expected) => {
  expect(shareBelow90(values)).toBe(expected);
});

test('two minutes, one with a flagged sample: 30 of 119 usable samples below 90 % in both windows', async () => {
  const patientId = await registerPatient(srv, 'odt-p', ['odt-w']);
  // minute 1: 30 at 88 %, 30 at 95 %; minute 2: 96 %, but sample 90 (a 70 %) flagged for motion
  const values = Array.from({ length: 120 }, (_, i) => (i < 30 ? 88 : i < 60 ? 95 : i === 90 ? 70 : 96));
  await publish(pub, srv.topic('odt-p', 'odt-w', 'oxygen-saturation'), {
    format: 'serium-compact/1',
    seq: 1,
    start: '2026-11-21T03:00:00Z',
    interval_ms: 1000,
    unit: '%',
    values,
    quality: { '90': ['motion'] },
  });
  const aggregates = async () => {
    const r = await call(srv, 'GET', `Observation?subject=Patient/${patientId}&code=https://serium.dev/fhir/CodeSystem/rpm-metric|spo2-below-90-time-5min,https://serium.dev/fhir/CodeSystem/rpm-metric|spo2-below-90-time-1h`);
    return (r.body.entry ?? []).map((e: any) => e.resource);
  };
  const found = await eventually(async () => {
    const a = await aggregates();
    return a.length === 2 && a.every((o: any) => o.derivedFrom.length === 2) ? a : undefined;
  }, 20_000);
  const byCode = Object.fromEntries(found.map((o: any) => [o.code.coding[0].code, o]));
  expect(byCode['spo2-below-90-time-5min'].valueQuantity).toMatchObject({ value: 25.2, code: '%' });
  expect(byCode['spo2-below-90-time-5min'].effectivePeriod).toEqual({ start: '2026-11-21T03:00:00.000Z', end: '2026-11-21T03:05:00.000Z' });
  expect(byCode['spo2-below-90-time-1h'].valueQuantity.value).toBe(25.2);
  expect(byCode['spo2-below-90-time-1h'].effectivePeriod).toEqual({ start: '2026-11-21T03:00:00.000Z', end: '2026-11-21T04:00:00.000Z' });
});
