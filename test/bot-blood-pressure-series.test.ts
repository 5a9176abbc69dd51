import type { MqttClient } from 'mqtt';
import { seriesFigures } from '../bots/blood-pressure-series.js';
import { call } from './harness.js';
import { eventually, publish, registerPatient, type IngestTestServer, startBotServer, stopBotServer } from './mqtt-harness.js';

// A cuff's series of readings a minute apart, over MQTT, becomes one derived panel with the mean
// systolic and diastolic pressures and the MAP. Figures worked out by hand.

let srv: IngestTestServer;
let pub: MqttClient;

beforeAll(async () => ({ srv, pub } = await startBotServer(['blood-pressure-series'])));
afterAll(() => stopBotServer({ srv, pub }));

test.each([
  [[{ sbp: 150, dbp: 95 }, { sbp: 146, dbp: 93 }], { sbp: 148, dbp: 94, map: 112 }],
  [[{ sbp: 150, dbp: 95 }, { sbp: 146, dbp: 93 }, { sbp: 142, dbp: 88 }], { sbp: 146, dbp: 92, map: 110 }],
  [[{ sbp: 121, dbp: 80 }, { sbp: 120, dbp: 79 }], { sbp: 120.5, dbp: 79.5, map: 93.2 }],
])('%j', (readings, expected) => {
  expect(seriesFigures(readings)).toEqual(expected);
});

test('three readings a minute apart make one series panel, updated as each arrives', async () => {
  const patientId = await registerPatient(srv, 'bps-p', ['bps-cuff']);
  const topic = srv.topic('bps-p', 'bps-cuff', 'blood-pressure');
  const reading = (sbp: number, dbp: number, at: string) => ({
    systolic_blood_pressure: { value: sbp, unit: 'mmHg' },
    diastolic_blood_pressure: { value: dbp, unit: 'mmHg' },
    effective_time_frame: { date_time: at },
  });
  const series = async () =>
    (await call(srv, 'GET', `Observation?subject=Patient/${patientId}&category=https://serium.dev/fhir/CodeSystem/observation-category|aggregate&_source=urn:serium:bot:blood-pressure-series`)).body.entry?.map((e: any) => e.resource) ?? [];
  await publish(pub, topic, reading(150, 95, '2026-11-21T07:30:00+01:00'));
  await new Promise((r) => setTimeout(r, 500));
  expect(await series()).toHaveLength(0); // one reading is no series
  await publish(pub, topic, reading(146, 93, '2026-11-21T07:31:00+01:00'));
  await eventually(async () => (await series()).length === 1);
  await publish(pub, topic, reading(142, 88, '2026-11-21T07:32:00+01:00'));
  const [panel] = await eventually(async () => {
    const s = await series();
    return s[0]?.method?.text === 'mean of 3' ? s : undefined;
  }, 20_000);
  const value = (code: string) => panel.component.find((c: any) => c.code.coding[0].code === code).valueQuantity.value;
  expect([value('8480-6'), value('8462-4'), value('8478-0')]).toEqual([146, 92, 110]);
  expect(panel.effectivePeriod).toEqual({ start: '2026-11-21T06:30:00.000Z', end: '2026-11-21T06:32:00.000Z' });
  expect(panel.derivedFrom).toHaveLength(3);
  expect(await series()).toHaveLength(1);
});
