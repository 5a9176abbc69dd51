import type { MqttClient } from 'mqtt';
import { call } from './harness.js';
import { eventually, publish, registerPatient, type IngestTestServer, startBotServer, stopBotServer } from './mqtt-harness.js';

// 1 Hz heart rate over MQTT to minute statistics: the packed minute runs the heart-rate bot,
// which writes one aggregate Observation per minute, without the flagged sample, and computes it
// again when a late sample arrives. Expected figures worked out by hand.

let srv: IngestTestServer;
let pub: MqttClient;

beforeAll(async () => ({ srv, pub } = await startBotServer(['heart-rate-minute'])));
afterAll(() => stopBotServer({ srv, pub }));

const statistic = (o: any, code: string) => o.component.find((c: any) => c.code.coding[0].code === code)?.valueQuantity.value;

test('one aggregate per minute, quality-flagged samples left out, recomputed for a late sample', async () => {
  const patientId = await registerPatient(srv, 'hrm-p', ['hrm-w']);
  const topic = srv.topic('hrm-p', 'hrm-w', 'heart-rate');
  await publish(pub, topic, {
    format: 'serium-compact/1',
    seq: 1,
    start: '2026-11-21T09:00:00Z',
    interval_ms: 1000,
    unit: 'beats/min',
    values: [70, 72, 74, 150, 76, null, 78, 80, 82, 84],
    quality: { '3': ['motion'] },
  });
  const aggregates = async () =>
    (await call(srv, 'GET', `Observation?subject=Patient/${patientId}&category=https://serium.dev/fhir/CodeSystem/observation-category|aggregate&_source=urn:serium:bot:heart-rate-minute`)).body.entry?.map((e: any) => e.resource) ?? [];
  const [first] = await eventually(async () => ((await aggregates()).length ? aggregates() : undefined), 20_000);
  expect([statistic(first, 'average'), statistic(first, 'median'), statistic(first, 'minimum'), statistic(first, 'maximum'), statistic(first, 'std-dev'), statistic(first, 'count')]).toEqual([
    77, 77, 70, 84, 4.9, 8,
  ]);
  expect(first.effectivePeriod).toEqual({ start: '2026-11-21T09:00:00.000Z', end: '2026-11-21T09:01:00.000Z' });
  const minute = await call(srv, 'GET', first.derivedFrom[0].reference);
  expect(minute.body.valueSampledData.data.startsWith('70 72 74 150 76 E 78')).toBe(true);

  // two late samples of the same minute
  await publish(pub, topic, { format: 'serium-compact/1', seq: 2, start: '2026-11-21T09:00:10Z', interval_ms: 1000, unit: 'beats/min', values: [86, 88] });
  const updated = await eventually(async () => {
    const [a] = await aggregates();
    return a?.meta.versionId === '2' ? a : undefined;
  }, 20_000);
  expect([statistic(updated, 'average'), statistic(updated, 'median'), statistic(updated, 'maximum'), statistic(updated, 'std-dev'), statistic(updated, 'count')]).toEqual([79, 79, 88, 6.06, 10]);
  expect(await aggregates()).toHaveLength(1);
});
