import type { MqttClient } from 'mqtt';
import { windowFigures } from '../bots/heart-rate-window.js';
import { baselineHours, pooledBaseline } from '../src/bots/heart-rate-baseline.js';
import { call } from './harness.js';
import { publish, registerPatient, type IngestTestServer, startBotServer, stopBotServer } from './mqtt-harness.js';

// 1 Hz heart rate over MQTT to 5-minute sliding windows: the mean of the usable samples, a
// running EWMA (alpha 0.3) seeded from the window before and restarted after a gap, and z-scores
// against the patient's own baseline once it holds 240 minute means on 2 days. A late minute
// recomputes the windows containing it and the EWMA of those after. Figures worked out by hand.

let srv: IngestTestServer;
let pub: MqttClient;

beforeAll(async () => ({ srv, pub } = await startBotServer(['heart-rate-window'])));
afterAll(() => stopBotServer({ srv, pub }));

const usable = { count: 300, days: 2, mean: 65, sd: 5, usable: true };

test.each([
  // no previous window: the EWMA starts at the average (70 72 74 76: 73)
  [[70, 72, 74, 76], undefined, undefined, { count: 4, average: 73, ewma: 73, restarted: true }],
  // 0.3 × 80 + 0.7 × 73 = 24 + 51.1
  [[80], 73, undefined, { count: 1, average: 80, ewma: 75.1, restarted: false }],
  // z (80 − 65) / 5 = 3; EWMA z (75.1 − 65) / 5 = 2.02
  [[80], 73, usable, { count: 1, average: 80, ewma: 75.1, restarted: false, zScore: 3, ewmaZScore: 2.02 }],
  // a baseline too thin gives no z-score
  [[80], 73, { ...usable, usable: false }, { count: 1, average: 80, ewma: 75.1, restarted: false }],
  // 60 62 64 66 70: 322 / 5 = 64.4; 0.3 × 64.4 + 0.7 × 61.3 = 19.32 + 42.91
  [[60, 62, 64, 66, 70], 61.3, undefined, { count: 5, average: 64.4, ewma: 62.23, restarted: false }],
])('window %j after EWMA %s', (values, previous, baseline, expected) => {
  expect(windowFigures(values, previous, baseline)).toEqual(expected);
});

test('no samples, no window', () => {
  expect(windowFigures([], 70, usable)).toBeUndefined();
});

test('the baseline pools hourly summaries of minute means', () => {
  const day = 86_400_000;
  // hour 1: minute means 60 62 (mean 61, sd √2); hour 2, a day later: 64 66 68 (mean 66, sd 2).
  // All five: mean 320 / 5 = 64, squared deviations 16 + 4 + 0 + 4 + 16 = 40, sd √(40 / 4) = 3.162
  const b = pooledBaseline([
    { start: 10 * 3_600_000, count: 2, mean: 61, sd: Math.SQRT2 },
    { start: day + 10 * 3_600_000, count: 3, mean: 66, sd: 2 },
  ]);
  expect(b).toMatchObject({ count: 5, days: 2, usable: false });
  expect(b.mean).toBeCloseTo(64, 10);
  expect(b.sd).toBeCloseTo(Math.sqrt(10), 10);
  // 240 minute means on 2 days make it usable; 300 on one day, or no spread, do not
  expect(pooledBaseline([{ start: 0, count: 120, mean: 60, sd: 5 }, { start: day, count: 120, mean: 70, sd: 5 }]).usable).toBe(true);
  expect(pooledBaseline([{ start: 0, count: 150, mean: 60, sd: 5 }, { start: 3_600_000, count: 150, mean: 70, sd: 5 }]).usable).toBe(false);
  expect(pooledBaseline([{ start: 0, count: 120, mean: 60, sd: 0 }, { start: day, count: 120, mean: 60, sd: 0 }]).usable).toBe(false);
  expect(pooledBaseline([])).toEqual({ count: 0, days: 0, usable: false });
});

test('the baseline covers the 7 days of whole hours before the hour preceding the window end', () => {
  const iso = (ms: number) => new Date(ms).toISOString();
  expect(baselineHours(Date.parse('2026-11-21T10:05:00Z')).map(iso)).toEqual(['2026-11-14T09:00:00.000Z', '2026-11-21T09:00:00.000Z']);
  expect(baselineHours(Date.parse('2026-11-21T10:00:00Z')).map(iso)).toEqual(['2026-11-14T09:00:00.000Z', '2026-11-21T09:00:00.000Z']);
  expect(baselineHours(Date.parse('2026-11-21T09:59:00Z')).map(iso)).toEqual(['2026-11-14T08:00:00.000Z', '2026-11-21T08:00:00.000Z']);
});

const part = (o: any, code: string) => o.component.find((c: any) => c.code.coding[0].code === code);
const value = (o: any, code: string) => part(o, code)?.valueQuantity?.value;

/** The patient's windows by the time of their last minute (HH:MM): [count, average, ewma]. */
async function windows(patientId: string): Promise<Record<string, any>> {
  const r = await call(srv, 'GET', `Observation?subject=Patient/${patientId}&code=https://serium.dev/fhir/CodeSystem/rpm-metric|heart-rate-5min-window&_count=100`);
  const all = (r.body.entry ?? []).map((e: any) => e.resource);
  return Object.fromEntries(all.map((o: any) => [new Date(Date.parse(o.effectivePeriod.end) - 60_000).toISOString().slice(11, 16), o]));
}

/** Polls until `done` holds (or the time is up) and returns what was seen last, for the assertions to show. */
async function settle<T>(read: () => Promise<T>, done: (t: T) => boolean, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const seen = await read();
    if (done(seen) || Date.now() > until) return seen;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const same = (a: Record<string, unknown>, b: Record<string, unknown>) => {
  const sorted = (x: Record<string, unknown>) => JSON.stringify(Object.entries(x).sort(([k], [l]) => k.localeCompare(l)));
  return sorted(a) === sorted(b);
};

test('sliding windows with a running EWMA, restarted after a gap; a late minute recomputes the windows containing it and the EWMA after them; a minute entered in error withdraws its window', async () => {
  const patientId = await registerPatient(srv, 'hrw-a', ['hrw-a-w']);
  const topic = srv.topic('hrw-a', 'hrw-a-w', 'heart-rate');
  let seq = 0;
  const minute = (start: string, values: number[], quality?: Record<string, string[]>) =>
    publish(pub, topic, { format: 'serium-compact/1', seq: ++seq, start: `2026-11-21T${start}:00Z`, interval_ms: 1000, unit: 'beats/min', values, ...(quality ? { quality } : {}) });
  await minute('10:00', [60, 62]);
  await minute('10:01', [64]);
  await minute('10:02', [66, 150, 70], { '1': ['motion'] });
  await minute('10:04', [72]);
  await minute('10:05', [74, 76]);
  await minute('10:06', [80]);
  await minute('10:08', [80]);
  await minute('10:20', [100]);
  await minute('10:25', [90]);
  await minute('10:31', [70]);
  const figures = (w: Record<string, any>) => Object.fromEntries(Object.entries(w).map(([k, o]) => [k, [value(o, 'count'), value(o, 'average'), value(o, 'ewma')]]));
  // window: its samples; average; EWMA 0.3 × average + 0.7 × EWMA of the window ending 1-5 minutes before
  const before = {
    '10:00': [2, 61, 61], // 60 62; restarted
    '10:01': [3, 62, 61.3], // 60 62 64; 18.6 + 42.7
    '10:02': [5, 64.4, 62.23], // 60 62 64 66 70 (150 flagged); 19.32 + 42.91
    '10:04': [6, 65.67, 63.26], // + 72: 394 / 6; seeded from 10:02: 19.7 + 43.561
    '10:05': [6, 70.33, 65.38], // 64 66 70 72 74 76: 422 / 6; 21.1 + 44.282
    '10:06': [6, 73, 67.67], // 66 70 72 74 76 80: 438 / 6; 21.9 + 45.766
    '10:08': [5, 76.4, 70.29], // 72 74 76 80 80: 382 / 5; seeded from 10:06: 22.92 + 47.369
    '10:20': [1, 100, 100], // after a gap of 12 minutes: restarted
    '10:25': [1, 90, 97], // the window before ended 5 minutes before: seeded, 27 + 70
    '10:31': [1, 70, 70], // 6 minutes: restarted
  };
  const first = await settle(() => windows(patientId), (w) => same(figures(w), before));
  expect(figures(first)).toEqual(before);
  const w0 = first['10:00'];
  expect(w0.effectivePeriod).toEqual({ start: '2026-11-21T09:56:00.000Z', end: '2026-11-21T10:01:00.000Z' });
  expect(w0.category[0].coding[0].code).toBe('aggregate');
  expect(w0.note[0].text).toMatch(/EWMA restarted/);
  expect(first['10:20'].note[0].text).toMatch(/EWMA restarted/);
  expect(first['10:31'].note[0].text).toMatch(/EWMA restarted/);
  expect(first['10:25'].note).toBeUndefined();
  expect(first['10:04'].note).toBeUndefined();
  // no baseline yet: no z-score, and the resource says why
  expect(part(w0, 'z-score').valueQuantity).toBeUndefined();
  expect(part(w0, 'z-score').dataAbsentReason.text).toMatch(/^Baseline too thin: 0 minute means/);
  expect(part(w0, 'ewma-z-score').dataAbsentReason.coding[0].code).toBe('not-performed');
  expect(part(w0, 'ewma').valueQuantity).toMatchObject({ code: '/min', system: 'http://unitsofmeasure.org' });
  // derivedFrom: the minutes, then the window the EWMA was seeded from
  const w4 = first['10:04'];
  expect(w4.derivedFrom).toHaveLength(5);
  expect(w4.derivedFrom[4].reference).toBe(`Observation/${first['10:02'].id}`);
  expect(w0.derivedFrom).toHaveLength(1);

  // 10:03 arrives late (90 92): the windows ending 10:03 to 10:07 contain it, 10:08 follows on the EWMA
  await minute('10:03', [90, 92]);
  const after = {
    ...before,
    '10:03': [7, 72, 65.16], // 60 62 64 66 70 90 92: 504 / 7; seeded from 10:02: 21.6 + 43.561
    '10:04': [8, 72, 67.21], // 576 / 8; 21.6 + 45.612
    '10:05': [8, 75.5, 69.7], // 64 66 70 90 92 72 74 76: 604 / 8; 22.65 + 47.047
    '10:06': [8, 77.5, 72.04], // 66 70 90 92 72 74 76 80: 620 / 8; 23.25 + 48.79
    '10:08': [5, 76.4, 73.35], // its samples are the same; seeded from 10:06 again: 22.92 + 50.428
  };
  const second = await settle(() => windows(patientId), (w) => same(figures(w), after));
  expect(figures(second)).toEqual(after);
  expect(second['10:04'].derivedFrom.map((r: any) => r.reference).at(-1)).toBe(`Observation/${second['10:03'].id}`);
  // rewritten once by the late minute (how often before depends on the order the first minutes were handled in)
  expect(Number(second['10:04'].meta.versionId)).toBe(Number(first['10:04'].meta.versionId) + 1);
  expect(second['10:00'].meta.versionId).toBe(first['10:00'].meta.versionId);

  // 10:20 entered in error: its window is withdrawn, and 10:25, 5 minutes on, loses its seed and restarts
  const withdrawnMinute = (await call(srv, 'GET', second['10:20'].derivedFrom[0].reference)).body;
  expect((await call(srv, 'PUT', `Observation/${withdrawnMinute.id}`, { ...withdrawnMinute, status: 'entered-in-error' })).status).toBe(200);
  const third = await settle(() => windows(patientId), (w) => w['10:20']?.status === 'entered-in-error' && value(w['10:25'], 'ewma') === 90);
  expect(third['10:20'].status).toBe('entered-in-error');
  expect(figures({ '10:25': third['10:25'] })).toEqual({ '10:25': [1, 90, 90] });
  expect(third['10:25'].note[0].text).toMatch(/EWMA restarted/);
  expect(third['10:25'].derivedFrom).toHaveLength(1);

  // the hour's summary of minute means, the baseline's material: 61 64 68 91 72 75 80 80 90 70
  // (100 entered in error), 751 / 10 = 75.1, sample sd 10.1702
  const summaries = async () => {
    const r = await call(srv, 'GET', `Observation?subject=Patient/${patientId}&code=https://serium.dev/fhir/CodeSystem/rpm-metric|heart-rate-minute-mean-1h`);
    return (r.body.entry ?? []).map((e: any) => e.resource);
  };
  const [hour] = await settle(summaries, (list) => list.length === 1 && value(list[0], 'count') === 10);
  expect([value(hour, 'count'), value(hour, 'average'), value(hour, 'std-dev')]).toEqual([10, 75.1, 10.1702]);
  expect(hour.effectivePeriod).toEqual({ start: '2026-11-21T10:00:00.000Z', end: '2026-11-21T11:00:00.000Z' });
  expect(hour.derivedFrom).toHaveLength(10);
});

test('z-scores against the patient baseline: the 7 days of hourly summaries before the window, the last 1-2 hours left out', async () => {
  const patientId = await registerPatient(srv, 'hrw-b', ['hrw-b-w']);
  // The baseline's material: hourly summaries of minute means, posted as the bot stores them
  // (the first test checks that minutes make them; 300 minute means through every bot would take
  // minutes). Five hours of 60 minute means alternately 60 and 70: mean 65, sd √(60 × 25 / 59) = 5.0422
  // each; pooled, 300 means, sd √((5 × (59 × 5.0422² + 60 × 65²) − 300 × 65²) / 299) = 5.0084.
  const summary = (start: string, mean: number, sd: number) => ({
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: 'https://serium.dev/fhir/CodeSystem/observation-category', code: 'aggregate' }] }],
    code: { coding: [{ system: 'https://serium.dev/fhir/CodeSystem/rpm-metric', code: 'heart-rate-minute-mean-1h' }] },
    subject: { reference: `Patient/${patientId}` },
    effectivePeriod: { start, end: new Date(Date.parse(start) + 3_600_000).toISOString() },
    component: [
      ['count', 60, '{observations}'],
      ['average', mean, '/min'],
      ['std-dev', sd, '/min'],
    ].map(([code, value, unit]) => ({
      code: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-statistics', code }] },
      valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
    })),
  });
  const hours: [string, number, number][] = [
    ['2026-11-14T08:00:00.000Z', 150, 0], // more than 7 days before the baseline's end: left out
    ['2026-11-14T09:00:00.000Z', 65, 5.0422], // the first hour of the 7 days
    ['2026-11-19T10:00:00.000Z', 65, 5.0422],
    ['2026-11-19T11:00:00.000Z', 65, 5.0422],
    ['2026-11-20T10:00:00.000Z', 65, 5.0422],
    ['2026-11-20T11:00:00.000Z', 65, 5.0422],
    ['2026-11-21T09:00:00.000Z', 150, 0], // the hour before the window's: left out
  ];
  for (const [start, mean, sd] of hours) expect((await call(srv, 'POST', 'Observation', summary(start, mean, sd))).status).toBe(201);

  const topic = srv.topic('hrw-b', 'hrw-b-w', 'heart-rate');
  await publish(pub, topic, { format: 'serium-compact/1', seq: 1, start: '2026-11-21T10:00:00Z', interval_ms: 1000, unit: 'beats/min', values: [88, 88] });
  await publish(pub, topic, { format: 'serium-compact/1', seq: 2, start: '2026-11-21T10:01:00Z', interval_ms: 1000, unit: 'beats/min', values: [94] });
  const scores = (w: Record<string, any>) =>
    Object.fromEntries(['10:00', '10:01'].filter((k) => w[k]).map((k) => [k, ['average', 'z-score', 'ewma', 'ewma-z-score', 'baseline-average', 'baseline-std-dev', 'baseline-count'].map((c) => value(w[k], c))]));
  const expected = {
    // (88 − 65) / 5.0084 = 4.59; the EWMA starts at 88
    '10:00': [88, 4.59, 88, 4.59, 65, 5.01, 300],
    // 88 88 94: 90, (90 − 65) / 5.0084 = 4.99; EWMA 0.3 × 90 + 0.7 × 88 = 88.6, 23.6 / 5.0084 = 4.71
    '10:01': [90, 4.99, 88.6, 4.71, 65, 5.01, 300],
  };
  const seen = await settle(() => windows(patientId), (w) => same(scores(w), expected));
  expect(scores(seen)).toEqual(expected);
  expect(part(seen['10:01'], 'ewma-z-score').valueQuantity).toMatchObject({ unit: '1', code: '1', system: 'http://unitsofmeasure.org' });
  expect(part(seen['10:01'], 'z-score').dataAbsentReason).toBeUndefined();
});
