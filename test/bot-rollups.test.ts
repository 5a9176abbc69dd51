import type { Observation } from '@medplum/fhirtypes';
import type { MqttClient } from 'mqtt';
import { metricValues, rollupMetrics } from '../src/bots/rollup-metrics.js';
import { percentile, rollupFigures } from '../src/bots/rollup-statistics.js';
import { distributionOf, formatDistribution, mergeDistributions, parseDistribution } from '../src/bots/value-distribution.js';
import { call } from './harness.js';
import { eventually, publish, registerPatient, type IngestTestServer, startBotServer, stopBotServer } from './mqtt-harness.js';

// Readings over MQTT and REST to hourly and daily rollups: count, mean, min, max, sample std-dev
// and the 10th and 90th percentiles (linear interpolation between closest ranks), without
// quality-flagged samples, entered-in-error readings or other bots' aggregates, recomputed for a
// late reading. Figures worked out by hand.

let srv: IngestTestServer;
let pub: MqttClient;

beforeAll(async () => ({ srv, pub } = await startBotServer(['rollups'])));
afterAll(() => stopBotServer({ srv, pub }));

describe('percentiles: linear interpolation between closest ranks, rank p × (n − 1)', () => {
  test.each([
    // n 4: rank 0.3 → 1 + 0.3 × (2 − 1); rank 2.7 → 3 + 0.7 × (4 − 3)
    [[1, 2, 3, 4], 1.3, 3.7],
    // n 5: rank 0.4 → 15 + 0.4 × 5; rank 3.6 → 40 + 0.6 × 10
    [[15, 20, 35, 40, 50], 17, 46],
    // repeated values: 60 60 60 70, rank 0.3 → 60; rank 2.7 → 60 + 0.7 × 10
    [[60, 70, 60, 60], 60, 67],
    [[7], 7, 7],
  ])('%j: p10 %s, p90 %s', (values, p10, p90) => {
    expect(percentile(distributionOf(values), 0.1)).toBeCloseTo(p10, 10);
    expect(percentile(distributionOf(values), 0.9)).toBeCloseTo(p90, 10);
  });

  test('no values, no percentile', () => {
    expect(percentile(new Map(), 0.5)).toBeUndefined();
  });
});

test('the statistics of 2 4 4 4 5 5 7 9', () => {
  // mean 40 / 8 = 5; squared deviations 9+1+1+1+0+0+4+16 = 32, sample sd √(32/7) = 2.138;
  // p10 at rank 0.7: 2 + 0.7 × 2 = 3.4; p90 at rank 6.3: 7 + 0.3 × 2 = 7.6
  expect(rollupFigures(distributionOf([2, 4, 4, 4, 5, 5, 7, 9]))).toEqual({ count: 8, average: 5, minimum: 2, maximum: 9, stdDev: 2.14, p10: 3.4, p90: 7.6 });
  expect(rollupFigures(distributionOf([80.5]))).toEqual({ count: 1, average: 80.5, minimum: 80.5, maximum: 80.5, p10: 80.5, p90: 80.5 });
  expect(rollupFigures(new Map())).toEqual({ count: 0 });
});

test('hours combine into the day exactly: merged distributions give the figures of all the values', () => {
  const a = [60, 61, 62, 62, 90];
  const b = [62, 80.25, 100];
  const merged = mergeDistributions([distributionOf(a), distributionOf(b)]);
  expect(rollupFigures(merged)).toEqual(rollupFigures(distributionOf([...a, ...b])));
  const text = formatDistribution(merged);
  expect(text).toBe('60:1 61:1 62:3 80.25:1 90:1 100:1');
  expect(parseDistribution(text)).toEqual(merged);
  expect(parseDistribution('60:1 x')).toBeUndefined();
});

test('the values each kind of reading gives its metric', () => {
  const metric = (id: string) => rollupMetrics.find((m) => m.id === id)!;
  const obs = (o: object) => ({ resourceType: 'Observation', status: 'final', ...o }) as Observation;
  const coded = (code: string) => ({ code: { coding: [{ system: 'http://loinc.org', code }] } });
  const q = (value: number, code: string) => ({ valueQuantity: { value, unit: code, system: 'http://unitsofmeasure.org', code } });
  const sampled = { valueSampledData: { origin: { value: 0, code: '%' }, period: 1000, dimensions: 1, data: '95 E 70 94' } };
  const flagged = { extension: [{ url: 'https://serium.dev/fhir/StructureDefinition/sample-quality', extension: [{ url: 'flag', valueCode: 'motion' }, { url: 'samples', valueString: '2' }] }] };
  expect(metricValues(obs({ ...coded('2708-6'), ...sampled, ...flagged }), metric('oxygen-saturation'))).toEqual([95, 94]);
  expect(metricValues(obs({ ...coded('9279-1'), ...q(16, '/min') }), metric('respiratory-rate'))).toEqual([16]);
  expect(metricValues(obs({ ...coded('8310-5'), ...q(98.6, '[degF]') }), metric('body-temperature'))[0]).toBeCloseTo(37, 10);
  expect(metricValues(obs({ ...coded('41653-7'), ...q(5, 'mmol/L') }), metric('glucose'))[0]).toBeCloseTo(90.08, 10);
  expect(metricValues(obs({ ...coded('88365-2'), ...q(95, 'mg/dL') }), metric('glucose'))).toEqual([95]);
  expect(metricValues(obs({ ...coded('29463-7'), ...q(80, 'g') }), metric('body-weight'))).toEqual([0.08]);
  expect(metricValues(obs({ ...coded('29463-7'), ...q(80, '[in_i]') }), metric('body-weight'))).toEqual([]);
  const bp = obs({ ...coded('85354-9'), component: [{ ...coded('8480-6'), ...q(150, 'mm[Hg]') }, { ...coded('8462-4'), ...q(95, 'mm[Hg]') }] });
  expect([metricValues(bp, metric('systolic')), metricValues(bp, metric('diastolic')), metricValues(bp, metric('heart-rate'))]).toEqual([[150], [95], []]);
});

const statistic = (o: any, code: string) => o.component.find((c: any) => c.code.coding[0].code === code)?.valueQuantity.value;
const figures = (o: any) => ['count', 'average', 'minimum', 'maximum', 'std-dev', 'percentile-10', 'percentile-90'].map((c) => statistic(o, c));

test('hourly and daily rollups of heart rate, blood pressure, temperature, glucose and weight; a late minute recomputes them', async () => {
  const patientId = await registerPatient(srv, 'rlp-p', ['rlp-watch', 'rlp-cuff', 'rlp-thermo', 'rlp-meter', 'rlp-scale']);
  const subject = `Patient/${patientId}`;
  const hr = srv.topic('rlp-p', 'rlp-watch', 'heart-rate');
  const minute = (seq: number, start: string, values: (number | null)[], quality?: Record<string, string[]>) =>
    publish(pub, hr, { format: 'serium-compact/1', seq, start, interval_ms: 1000, unit: 'beats/min', values, ...(quality ? { quality } : {}) });
  // 08:00: 60..68 usable, the 150 flagged for motion; 08:30: 70 72 74 and a gap; 09:15: 80 82
  await minute(1, '2026-11-20T08:00:00Z', [60, 61, 62, 63, 64, 65, 66, 67, 68, 150], { '9': ['motion'] });
  await minute(2, '2026-11-20T08:30:00Z', [70, 72, 74, null]);
  await minute(3, '2026-11-20T09:15:00Z', [80, 82]);
  // a spot reading at 08:45 (90), and one entered in error (300), over REST
  const spot = (value: number, at: string, status = 'final') => ({
    resourceType: 'Observation',
    status,
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
    subject: { reference: subject },
    effectiveDateTime: at,
    valueQuantity: { value, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  });
  const spot90 = await call(srv, 'POST', 'Observation', spot(90, '2026-11-20T08:45:00Z'));
  expect(spot90.status).toBe(201);
  expect((await call(srv, 'POST', 'Observation', spot(300, '2026-11-20T08:50:00Z', 'entered-in-error'))).status).toBe(201);
  // blood pressure 150/95 and 140/85 (the series bot's mean panel must not count), temperatures
  // 98.6 °F (37 °C) and 36 °C, glucose before (95) and after (160) a meal, one weight
  const cuff = srv.topic('rlp-p', 'rlp-cuff', 'blood-pressure');
  await publish(pub, cuff, { systolic_blood_pressure: { value: 150, unit: 'mmHg' }, diastolic_blood_pressure: { value: 95, unit: 'mmHg' }, effective_time_frame: { date_time: '2026-11-20T07:10:00Z' } });
  await publish(pub, cuff, { systolic_blood_pressure: { value: 140, unit: 'mmHg' }, diastolic_blood_pressure: { value: 85, unit: 'mmHg' }, effective_time_frame: { date_time: '2026-11-20T07:12:00Z' } });
  const thermo = srv.topic('rlp-p', 'rlp-thermo', 'body-temperature');
  await publish(pub, thermo, { body_temperature: { value: 98.6, unit: 'F' }, effective_time_frame: { date_time: '2026-11-20T10:00:00Z' } });
  await publish(pub, thermo, { body_temperature: { value: 36, unit: 'C' }, effective_time_frame: { date_time: '2026-11-20T10:30:00Z' } });
  const meter = srv.topic('rlp-p', 'rlp-meter', 'blood-glucose');
  await publish(pub, meter, { blood_glucose: { value: 95, unit: 'mg/dL' }, temporal_relationship_to_meal: 'before lunch', effective_time_frame: { date_time: '2026-11-20T12:10:00Z' } });
  await publish(pub, meter, { blood_glucose: { value: 160, unit: 'mg/dL' }, temporal_relationship_to_meal: 'after lunch', effective_time_frame: { date_time: '2026-11-20T12:40:00Z' } });
  await publish(pub, srv.topic('rlp-p', 'rlp-scale', 'body-weight'), { body_weight: { value: 80.5, unit: 'kg' }, effective_time_frame: { date_time: '2026-11-20T06:00:00Z' } });

  const rollups = async (level: 'rollup-1h' | 'rollup-1d') => {
    const r = await call(srv, 'GET', `Observation?subject=${subject}&method=https://serium.dev/fhir/CodeSystem/rpm-metric|${level}&_count=100`);
    return (r.body.entry ?? []).map((e: any) => e.resource);
  };
  const find = (list: any[], code: string, start: string) => list.find((o) => o.code.coding[0].code === code && o.effectivePeriod.start === start);
  const settled = (wanted: [string, string, number][]) => async () => {
    const hours = await rollups('rollup-1h');
    const days = await rollups('rollup-1d');
    const all = [...hours, ...days];
    return wanted.every(([code, start, count]) => statistic(find(all, code, start) ?? { component: [] }, 'count') === count) ? { hours, days } : undefined;
  };
  const day = '2026-11-20T00:00:00.000Z';
  const { hours, days } = await eventually(
    settled([
      ['8867-4', '2026-11-20T08:00:00.000Z', 13],
      ['8867-4', '2026-11-20T09:00:00.000Z', 2],
      ['8867-4', day, 15],
      ['8480-6', day, 2],
      ['8462-4', day, 2],
      ['8310-5', day, 2],
      ['41653-7', day, 2],
      ['29463-7', day, 1],
    ]),
    30_000,
  );

  // heart rate 08:00–09:00: 60..68, 70, 72, 74 and the spot 90: n 13, sum 882, mean 67.85;
  // sorted ranks 1.2 → 61 + 0.2 × 1 = 61.2 and 10.8 → 72 + 0.8 × 2 = 73.6; sample sd 7.87
  const h8 = find(hours, '8867-4', '2026-11-20T08:00:00.000Z');
  expect(figures(h8)).toEqual([13, 67.85, 60, 90, 7.87, 61.2, 73.6]);
  expect(h8.effectivePeriod).toEqual({ start: '2026-11-20T08:00:00.000Z', end: '2026-11-20T09:00:00.000Z' });
  expect(h8.derivedFrom).toHaveLength(3); // two minutes and the spot reading
  expect(h8.category[0].coding[0].code).toBe('aggregate');
  expect(h8.component.find((c: any) => c.code.coding[0].code === 'average').valueQuantity).toMatchObject({ code: '/min', system: 'http://unitsofmeasure.org' });
  expect(h8.component.find((c: any) => c.code.coding[0].code === 'count').valueQuantity.code).toBe('{observations}');
  // 09:00–10:00: 80 82: mean 81, sd √2 = 1.41, ranks 0.1 and 0.9
  expect(figures(find(hours, '8867-4', '2026-11-20T09:00:00.000Z'))).toEqual([2, 81, 80, 82, 1.41, 80.2, 81.8]);
  // the day: the 15 values, sum 1044, mean 69.6; ranks 1.4 → 61.4 and 12.6 → 80 + 0.6 × 2 = 81.2; sd 8.64
  const d = find(days, '8867-4', day);
  expect(figures(d)).toEqual([15, 69.6, 60, 90, 8.64, 61.4, 81.2]);
  expect(d.effectivePeriod).toEqual({ start: day, end: '2026-11-21T00:00:00.000Z' });
  expect(d.derivedFrom.map((r: any) => r.reference).sort()).toEqual([`Observation/${h8.id}`, `Observation/${find(hours, '8867-4', '2026-11-20T09:00:00.000Z').id}`].sort());
  // blood pressure: 150 140 and 95 85: sd √50 = 7.07, ranks 0.1 and 0.9
  expect(figures(find(days, '8480-6', day))).toEqual([2, 145, 140, 150, 7.07, 141, 149]);
  expect(figures(find(days, '8462-4', day))).toEqual([2, 90, 85, 95, 7.07, 86, 94]);
  // temperature 37 and 36 °C
  expect(figures(find(days, '8310-5', day))).toEqual([2, 36.5, 36, 37, 0.71, 36.1, 36.9]);
  expect(statistic(find(days, '8310-5', day), 'average')).toBe(36.5);
  // glucose 95 (pre-meal) and 160 (post-meal) together: sd √2112.5 = 45.96
  expect(figures(find(days, '41653-7', day))).toEqual([2, 127.5, 95, 160, 45.96, 101.5, 153.5]);
  // one weight: no spread
  expect(figures(find(days, '29463-7', day))).toEqual([1, 80.5, 80.5, 80.5, undefined, 80.5, 80.5]);

  // a late minute at 08:10 (100): the hour and the day are computed again
  await minute(4, '2026-11-20T08:10:00Z', [100]);
  const late = await eventually(settled([
    ['8867-4', '2026-11-20T08:00:00.000Z', 14],
    ['8867-4', day, 16],
  ]), 30_000);
  // n 14, sum 982, mean 70.14; ranks 1.3 → 61.3 and 11.7 → 74 + 0.7 × 16 = 85.2
  expect(figures(find(late.hours, '8867-4', '2026-11-20T08:00:00.000Z'))).toEqual([14, 70.14, 60, 100, 11.45, 61.3, 85.2]);
  // n 16, sum 1144, mean 71.5; ranks 1.5 → 61.5 and 13.5 → 82 + 0.5 × 8 = 86
  expect(figures(find(late.days, '8867-4', day))).toEqual([16, 71.5, 60, 100, 11.29, 61.5, 86]);
  // one rollup per metric, hour and day
  expect(late.hours.filter((o: any) => o.code.coding[0].code === '8867-4')).toHaveLength(2);
  expect(late.days.filter((o: any) => o.code.coding[0].code === '8867-4')).toHaveLength(1);

  // the spot 90 entered in error afterwards: left out again
  expect((await call(srv, 'PUT', `Observation/${spot90.body.id}`, { ...spot90.body, status: 'entered-in-error' })).status).toBe(200);
  const withdrawn = await eventually(settled([
    ['8867-4', '2026-11-20T08:00:00.000Z', 13],
    ['8867-4', day, 15],
  ]), 30_000);
  // 60..68 70 72 74 100: n 13, sum 892, mean 68.62; ranks 1.2 → 61.2 and 10.8 → 72 + 0.8 × 2 = 73.6
  expect(figures(find(withdrawn.hours, '8867-4', '2026-11-20T08:00:00.000Z'))).toEqual([13, 68.62, 60, 100, 10.32, 61.2, 73.6]);
  // with 80 82: n 15, sum 1054, mean 70.27; ranks 1.4 → 61.4 and 12.6 → 80 + 0.6 × 2 = 81.2
  expect(figures(find(withdrawn.days, '8867-4', day))).toEqual([15, 70.27, 60, 100, 10.51, 61.4, 81.2]);
  expect(find(withdrawn.hours, '8867-4', '2026-11-20T08:00:00.000Z').derivedFrom.map((r: any) => r.reference)).not.toContain(`Observation/${spot90.body.id}`);
});
