import type { MqttClient } from 'mqtt';
import { trend } from '../bots/body-weight-trend.js';
import { call } from './harness.js';
import { eventually, publish, registerPatient, type IngestTestServer, startBotServer, stopBotServer } from './mqtt-harness.js';

// Daily weights over MQTT to the 3-day mean, the 7-day change and the BMI from the latest height.
// Figures worked out by hand.

let srv: IngestTestServer;
let pub: MqttClient;

beforeAll(async () => ({ srv, pub } = await startBotServer(['body-weight-trend'])));
afterAll(() => stopBotServer({ srv, pub }));

test('the arithmetic', () => {
  expect(trend.mean([80.5, 81, 81.5])).toBe(81);
  expect(trend.change(80, 81.5)).toBe(1.9); // 1.875 %
  expect(trend.bmi(81.5, 170)).toBe(28.2); // 81.5 / 2.89 = 28.20
});

test('3-day mean, 7-day change and BMI of the newest weight', async () => {
  const patientId = await registerPatient(srv, 'bwt-p', ['bwt-scale']);
  await publish(pub, srv.topic('bwt-p', 'bwt-scale', 'body-height'), { body_height: { value: 170, unit: 'cm' }, effective_time_frame: { date_time: '2026-11-01T07:00:00Z' } });
  await eventually(async () => (await call(srv, 'GET', `Observation?subject=Patient/${patientId}&_summary=count`)).body.total === 1);
  const weights: [string, number][] = [
    ['2026-11-14T07:00:00Z', 80.0],
    ['2026-11-18T07:00:00Z', 80.5],
    ['2026-11-19T07:00:00Z', 81.0],
    ['2026-11-20T07:00:00Z', 81.5],
  ];
  for (const [at, value] of weights) {
    await publish(pub, srv.topic('bwt-p', 'bwt-scale', 'body-weight'), { body_weight: { value, unit: 'kg' }, effective_time_frame: { date_time: at } });
  }
  // the figures computed for the newest weight (each weight gets its own)
  const latest = async (code: string) => {
    const r = await call(srv, 'GET', `Observation?subject=Patient/${patientId}&code=${code}&_count=50`);
    const at = (o: any) => o.effectivePeriod?.end ?? o.effectiveDateTime;
    return (r.body.entry ?? []).map((e: any) => e.resource).filter((o: any) => at(o) === '2026-11-20T07:00:00.000Z');
  };
  const [mean] = await eventually(async () => {
    const found = await latest('https://serium.dev/fhir/CodeSystem/rpm-metric|weight-3-day-mean');
    return found.length ? found : undefined;
  }, 20_000);
  expect(mean.valueQuantity).toMatchObject({ value: 81, code: 'kg' });
  expect(mean.derivedFrom).toHaveLength(3);
  const [change] = await eventually(async () => {
    const found = await latest('https://serium.dev/fhir/CodeSystem/rpm-metric|weight-7-day-change');
    return found.length ? found : undefined;
  });
  expect(change.valueQuantity).toMatchObject({ value: 1.9, code: '%' });
  const [bmi] = await eventually(async () => {
    const found = await latest('http://loinc.org|39156-5');
    return found.length ? found : undefined;
  });
  expect(bmi.valueQuantity).toMatchObject({ value: 28.2, code: 'kg/m2' });
  expect(bmi.effectiveDateTime).toBe('2026-11-20T07:00:00.000Z');
});
