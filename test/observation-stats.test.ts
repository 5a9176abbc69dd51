import type { Observation, ObservationComponent, Parameters } from '@medplum/fhirtypes';
import { startTestServer, type TestServer, call as callServer, put as putResource, expectOutcome } from './harness.js';

// Observation/$stats (R4 observation-operation-stats). The server clock is fixed at
// 2026-03-10T12:00:00Z. Every expected value below is worked out by hand from the fixtures;
// percentiles are linear between the closest ranks, at rank 1 + p(n - 1) (percentile_cont).

const now = new Date('2026-03-10T12:00:00Z');
let srv: TestServer;
const call = (method: string, path: string, body?: unknown) => callServer(srv, method, path, body);
const put = (r: { resourceType: string; id: string } & Record<string, unknown>) => putResource(srv, r);

const loinc = 'http://loinc.org';
const mdc = 'urn:iso:std:iso:11073:10101';
const ucum = 'http://unitsofmeasure.org';
const stats = 'http://terminology.hl7.org/CodeSystem/observation-statistics';
const q = (value: number, code: string) => ({ value, unit: code, system: ucum, code });
const obs = (id: string, code: string, extra: Record<string, unknown>, subject = 'Patient/p1', status = 'final') => ({
  resourceType: 'Observation',
  id,
  status,
  code: { coding: [{ system: code.startsWith('urn:') ? 'urn:serium:test' : loinc, code: code.replace(/^urn:/, '') }] },
  subject: { reference: subject },
  ...extra,
});
const at = (t: string) => ({ effectiveDateTime: t });
const hr = (id: string, value: number, time: string | object, subject?: string, status?: string) =>
  obs(id, '8867-4', { ...(typeof time === 'string' ? at(time) : time), valueQuantity: q(value, '/min') }, subject, status);
const bp = (id: string, sys: number, dia: number, time: string) =>
  obs(id, '85354-9', {
    ...at(time),
    component: [
      { code: { coding: [{ system: mdc, code: '150021' }, { system: loinc, code: '8480-6' }] }, valueQuantity: q(sys, 'mm[Hg]') },
      { code: { coding: [{ system: loinc, code: '8462-4' }] }, valueQuantity: q(dia, 'mm[Hg]') },
    ],
  });
const weight = (id: string, value: number, unit: string, time: string) => obs(id, '29463-7', { ...at(time), valueQuantity: q(value, unit) });

const fixtures = [
  // heart rate over 1-4 March: 60, 70, 80, 90 one day apart at 08:00 (hr-4 an effectivePeriod placed by its start)
  hr('hr-1', 60, '2026-03-01T08:00:00Z'),
  hr('hr-2', 70, '2026-03-02T08:00:00Z'),
  hr('hr-3', 80, '2026-03-03T08:00:00Z'),
  hr('hr-4', 90, { effectivePeriod: { start: '2026-03-04T08:00:00Z', end: '2026-03-05T08:00:00Z' } }),
  hr('hr-eie', 200, '2026-03-02T09:00:00Z', undefined, 'entered-in-error'),
  obs('hr-not-ucum', '8867-4', { ...at('2026-03-02T10:00:00Z'), valueQuantity: { value: 100, unit: 'bpm' } }),
  obs('hr-other-units', '8867-4', { ...at('2026-03-02T10:00:00Z'), valueQuantity: { value: 101, system: 'urn:serium:units', code: '/min' } }),
  obs('hr-bad-ucum', '8867-4', { ...at('2026-03-02T10:00:00Z'), valueQuantity: { value: 102, system: ucum, code: 'beats' } }),
  hr('hr-span-before', 10, { effectivePeriod: { start: '2026-02-28T20:00:00Z', end: '2026-03-01T10:00:00Z' } }),
  hr('hr-before', 11, '2026-02-28T23:59:59Z'),
  hr('hr-after', 500, '2026-03-05T00:00:00Z'),
  hr('hr-p2', 1000, '2026-03-02T08:00:00Z', 'Patient/p2'),
  hr('hr-deleted', 300, '2026-03-02T11:00:00Z'),
  // blood pressure panels and one systolic reading of its own
  bp('bp-1', 120, 80, '2026-03-01T09:00:00Z'),
  bp('bp-2', 130, 85, '2026-03-02T09:00:00Z'),
  bp('bp-3', 140, 90, '2026-03-03T09:00:00Z'),
  obs('sys-alone', '8480-6', { ...at('2026-03-03T10:00:00Z'), valueQuantity: q(150, 'mm[Hg]') }),
  // oxygen saturation with a value of its own and the oxygen flow as a component: no panel
  obs('spo2', '2708-6', {
    ...at('2026-03-02T10:00:00Z'),
    valueQuantity: q(97, '%'),
    component: [{ code: { coding: [{ system: loinc, code: '3151-8' }] }, valueQuantity: q(2, 'L/min') }],
  }),
  // body weight on 10 March, in kg and once in pounds (200 [lb_av] = 90.718474 kg)
  weight('w-old', 70, 'kg', '2026-03-10T06:00:00Z'),
  weight('w-1', 80, 'kg', '2026-03-10T09:00:00Z'),
  weight('w-lb', 200, '[lb_av]', '2026-03-10T10:00:00Z'),
  weight('w-2', 82, 'kg', '2026-03-10T11:00:00Z'),
  weight('w-now', 84, 'kg', '2026-03-10T12:00:00Z'),
  weight('w-future', 99, 'kg', '2026-03-10T12:00:01Z'),
  // glucose in two units of different dimensions
  obs('glu-mass', '2339-0', { ...at('2026-03-02T07:00:00Z'), valueQuantity: q(100, 'mg/dL') }),
  obs('glu-mol', '2339-0', { ...at('2026-03-03T07:00:00Z'), valueQuantity: q(5.5, 'mmol/L') }),
  // a dimensionless score 1, 1, 1, 5
  ...[1, 1, 1, 5].map((v, i) => obs(`score-${i}`, 'urn:score', { ...at(`2026-03-0${i + 1}T12:00:00Z`), valueQuantity: q(v, '1') })),
];

beforeAll(async () => {
  srv = await startTestServer({}, { clock: () => now });
  await put({ resourceType: 'Patient', id: 'p1' });
  await put({ resourceType: 'Patient', id: 'p2' });
  for (const o of fixtures) await put(o);
  expect((await call('DELETE', 'Observation/hr-deleted')).status).toBeLessThan(300);
});
afterAll(() => srv?.stop());

const march = 'period=2026-03-01|2026-03-04';

async function statsOf(query: string): Promise<Parameters> {
  const r = await call('GET', `Observation/$stats?subject=Patient/p1&${query}`);
  expect(r.status).toBe(200);
  expect(r.body.resourceType).toBe('Parameters');
  return r.body as Parameters;
}
const statistics = (p: Parameters) => (p.parameter ?? []).filter((x) => x.name === 'statistics').map((x) => x.resource as Observation);
const sources = (p: Parameters) => (p.parameter ?? []).filter((x) => x.name === 'source').map((x) => x.resource!.id);
const components = (o: Observation, code: string): ObservationComponent[] =>
  (o.component ?? []).filter((c) => c.code.coding?.[0]?.system === stats && c.code.coding[0].code === code);
const value = (o: Observation, code: string) => {
  const [c] = components(o, code);
  expect(c?.valueQuantity).toBeDefined();
  return c.valueQuantity!;
};
const codeOf = (o: Observation) => o.code.coding?.[0]?.code;

describe('statistics over one code and a period', () => {
  let hrStats: Observation;
  beforeAll(async () => {
    const all = 'average,maximum,minimum,count,total-count,median,std-dev,sum,variance,20-percent,80-percent,4-lower,4-upper,4-dev,5-1,5-2,5-3,5-4,skew,kurtosis,regression';
    const p = await statsOf(`code=8867-4&system=${loinc}&${march}&statistic=${all}`);
    expect(statistics(p)).toHaveLength(1);
    hrStats = statistics(p)[0];
  });

  test('the statistics Observation states code, subject, window and status', () => {
    expect(hrStats.status).toBe('final');
    expect(hrStats.code.coding).toEqual([{ system: loinc, code: '8867-4' }]);
    expect(hrStats.subject).toEqual({ reference: 'Patient/p1' });
    expect(hrStats.effectivePeriod).toEqual({ start: '2026-03-01', end: '2026-03-04' });
    // one component per statistic, two for regression
    expect(hrStats.component).toHaveLength(22);
    expect(hrStats.component![0].code.coding![0]).toEqual({ system: stats, code: 'average', display: 'Average' });
  });

  test('average, minimum, maximum, sum, median of 60, 70, 80, 90 in the unit of the values', () => {
    expect(value(hrStats, 'average')).toEqual({ value: 75, unit: '/min', system: ucum, code: '/min' });
    expect(value(hrStats, 'minimum').value).toBe(60);
    expect(value(hrStats, 'maximum').value).toBe(90);
    expect(value(hrStats, 'sum').value).toBe(300);
    expect(value(hrStats, 'median').value).toBe(75);
  });

  test('count leaves out entered-in-error, non-UCUM, deleted, other subjects and readings outside the window', () => {
    // 60, 70, 80, 90; hr-not-ucum, hr-other-units and hr-bad-ucum are measurements without a
    // usable value (no UCUM code): they count in total-count only
    expect(value(hrStats, 'count')).toEqual({ value: 4, unit: '{observations}', system: ucum, code: '{observations}' });
    expect(value(hrStats, 'total-count').value).toBe(7);
  });

  test('sample standard deviation and variance', () => {
    // squares of the deviations 225 + 25 + 25 + 225 = 500, over n - 1 = 3
    expect(value(hrStats, 'variance').value).toBeCloseTo(500 / 3, 9);
    expect(value(hrStats, 'variance').code).toBe('/min2');
    expect(value(hrStats, 'std-dev').value).toBeCloseTo(12.909944487, 8);
  });

  test('quartiles, quintiles and percentiles at rank 1 + p(n - 1)', () => {
    expect(value(hrStats, '4-lower').value).toBe(67.5); // rank 1.75
    expect(value(hrStats, '4-upper').value).toBe(82.5); // rank 3.25
    expect(value(hrStats, '4-dev').value).toBe(7.5); // (82.5 - 67.5) / 2
    expect(value(hrStats, '20-percent').value).toBe(66); // rank 1.6
    expect(value(hrStats, '80-percent').value).toBe(84); // rank 3.4
    expect([1, 2, 3, 4].map((i) => value(hrStats, `5-${i}`).value)).toEqual([66, 72, 78, 84]);
  });

  test('skew 0 and excess kurtosis -1.2 of a symmetric set', () => {
    expect(value(hrStats, 'skew').value).toBeCloseTo(0, 9);
    expect(value(hrStats, 'skew').code).toBe('1');
    // m2 = 125, m4 = 25625: (n-1)/((n-2)(n-3)) * ((n+1) m4/m2^2 - 3(n-1)) = 3/2 * (8.2 - 9)
    expect(value(hrStats, 'kurtosis').value).toBeCloseTo(-1.2, 9);
  });

  test('regression: 10/min per day, 56.67/min at the period start', () => {
    const [gradient, intercept] = components(hrStats, 'regression');
    expect(gradient.code.text).toMatch(/gradient/);
    expect(gradient.valueQuantity).toMatchObject({ unit: '/min/d', code: '/min/d' });
    expect(gradient.valueQuantity!.value).toBeCloseTo(10, 9);
    // the line passes 60 at 1 March 08:00, a third of a day after the start
    expect(intercept.code.text).toMatch(/intercept/);
    expect(intercept.valueQuantity!.value).toBeCloseTo(60 - 10 / 3, 9);
    expect(intercept.valueQuantity!.code).toBe('/min');
  });
});

describe('the window', () => {
  test('a period is placed by the start of the effective time and runs to the end of its last day', async () => {
    // hr-span-before starts on 28 February, hr-4 (a period) starts on 4 March; hr-after is 5 March 00:00
    const p = await statsOf(`code=8867-4&${march}&statistic=count,maximum,minimum`);
    expect(value(statistics(p)[0], 'count').value).toBe(4);
    expect(value(statistics(p)[0], 'maximum').value).toBe(90);
    const wider = await statsOf('code=8867-4&period=2026-02-28T23:59:59Z|2026-03-05T00:00:00Z&statistic=count,maximum,minimum');
    expect(value(statistics(wider)[0], 'count').value).toBe(6); // + hr-before, + hr-after
    expect(value(statistics(wider)[0], 'maximum').value).toBe(500);
    expect(value(statistics(wider)[0], 'minimum').value).toBe(11);
  });

  test('a period with an open end', async () => {
    const p = await statsOf('code=8867-4&period=2026-03-02&statistic=count');
    expect(value(statistics(p)[0], 'count').value).toBe(4); // 70, 80, 90, 500
    expect(statistics(p)[0].effectivePeriod).toEqual({ start: '2026-03-02' });
  });

  test('duration counts hours back from the server clock, both ends included', async () => {
    const four = statistics(await statsOf('code=29463-7&duration=4&statistic=count,minimum'))[0];
    expect(four.effectivePeriod).toEqual({ start: '2026-03-10T08:00:00.000Z', end: '2026-03-10T12:00:00.000Z' });
    expect(value(four, 'count').value).toBe(4); // w-1, w-lb, w-2, w-now; not w-future
    expect(value(four, 'minimum').value).toBe(80);
    const six = statistics(await statsOf('code=29463-7&duration=6&statistic=count,minimum'))[0];
    expect(value(six, 'count').value).toBe(5); // + w-old at exactly 06:00
    expect(value(six, 'minimum').value).toBe(70);
    const almostSix = statistics(await statsOf('code=29463-7&duration=5.99&statistic=count'))[0];
    expect(value(almostSix, 'count').value).toBe(4);
  });

  test('duration and period together, or neither, are refused', async () => {
    expectOutcome(await call('GET', `Observation/$stats?subject=Patient/p1&code=8867-4&duration=4&${march}&statistic=count`), 'invalid');
    expectOutcome(await call('GET', 'Observation/$stats?subject=Patient/p1&code=8867-4&statistic=count'), 'invalid');
    expectOutcome(await call('GET', 'Observation/$stats?subject=Patient/p1&code=8867-4&period=2026-03-04|2026-03-01&statistic=count'), 'invalid');
  });
});

describe('units', () => {
  test('values in convertible units are converted to the unit most of them have', async () => {
    const w = statistics(await statsOf('code=29463-7&duration=4&statistic=count,sum,maximum,average'))[0];
    expect(value(w, 'maximum')).toEqual({ value: 90.718474, unit: 'kg', system: ucum, code: 'kg' });
    expect(value(w, 'sum').value).toBeCloseTo(80 + 90.718474 + 82 + 84, 9);
    expect(value(w, 'average').value).toBeCloseTo((80 + 90.718474 + 82 + 84) / 4, 9);
  });

  test('units that do not convert to one another are refused, not mixed', async () => {
    const r = await call('GET', `Observation/$stats?subject=Patient/p1&code=2339-0&${march}&statistic=average`);
    expect(r.status).toBe(422);
    expectOutcome(r, 'processing');
    expect(r.body.issue[0].diagnostics).toMatch(/mg\/dL, mmol\/L/);
  });

  test('a dimensionless score: skew 2 and kurtosis 4 of 1, 1, 1, 5', async () => {
    const s = statistics(await statsOf(`coding=urn:serium:test|score&${march}&statistic=average,std-dev,variance,skew,kurtosis`))[0];
    expect(s.code.coding).toEqual([{ system: 'urn:serium:test', code: 'score' }]);
    expect(value(s, 'average').value).toBe(2);
    expect(value(s, 'variance')).toMatchObject({ value: 4, code: '1' }); // (1 + 1 + 1 + 9) / 3
    expect(value(s, 'std-dev').value).toBe(2);
    // m2 = 3, m3 = 6, m4 = 21
    expect(value(s, 'skew').value).toBeCloseTo(2, 9);
    expect(value(s, 'kurtosis').value).toBeCloseTo(4, 9);
  });
});

describe('panels and components', () => {
  test('a panel code gives statistics per component code', async () => {
    // each systolic component is coded in MDC first, then LOINC: the LOINC coding names the group
    const p = await statsOf(`code=85354-9&system=${loinc}&${march}&statistic=average,count`);
    const obs = statistics(p);
    expect(obs.map((o) => o.code.coding)).toEqual([[{ system: loinc, code: '8462-4' }], [{ system: loinc, code: '8480-6' }]]);
    expect(value(obs[0], 'average')).toMatchObject({ value: 85, code: 'mm[Hg]' });
    expect(value(obs[1], 'average').value).toBe(130);
    expect(value(obs[1], 'count').value).toBe(3); // sys-alone is no component of a panel
  });

  test('a component code finds the panels holding it as well as readings of its own', async () => {
    const [sys] = statistics(await statsOf(`code=8480-6&${march}&statistic=average,count`));
    expect(value(sys, 'count').value).toBe(4);
    expect(value(sys, 'average').value).toBe(135); // 120, 130, 140, 150
  });

  test('an Observation with a value of its own is no panel: its components are not expanded', async () => {
    const obs = statistics(await statsOf(`code=2708-6&${march}&statistic=average`));
    expect(obs.map(codeOf)).toEqual(['2708-6']);
    expect(value(obs[0], 'average')).toMatchObject({ value: 97, code: '%' });
    const [flow] = statistics(await statsOf(`code=3151-8&${march}&statistic=average`));
    expect(value(flow, 'average')).toMatchObject({ value: 2, code: 'L/min' });
  });
});

describe('sources', () => {
  test('include=true returns the Observations whose values counted', async () => {
    const p = await statsOf(`code=8867-4&${march}&statistic=count&include=true`);
    expect(sources(p)).toEqual(['hr-1', 'hr-2', 'hr-3', 'hr-4']);
  });

  test('limit spreads the sources evenly over time', async () => {
    const p = await statsOf(`code=8867-4&${march}&statistic=count&include=true&limit=2`);
    expect(sources(p)).toEqual(['hr-1', 'hr-3']);
    expect(value(statistics(p)[0], 'count').value).toBe(4); // the statistics are over all of them
    // three runs in time order: hr-1 and hr-2, hr-3, hr-4
    expect(sources(await statsOf(`code=8867-4&${march}&statistic=count&include=true&limit=3`))).toEqual(['hr-1', 'hr-3', 'hr-4']);
  });

  test('limit without include is ignored', async () => {
    const p = await statsOf(`code=8867-4&${march}&statistic=count&limit=2`);
    expect(sources(p)).toEqual([]);
  });
});

describe('no data', () => {
  test('a code without readings gives count 0 and no other values', async () => {
    const p = await statsOf(`code=9279-1&system=${loinc}&${march}&statistic=count,total-count,average`);
    const [o] = statistics(p);
    expect(o.code.coding).toEqual([{ system: loinc, code: '9279-1' }]);
    expect(value(o, 'count').value).toBe(0);
    expect(value(o, 'total-count').value).toBe(0);
    expect(components(o, 'average')[0].dataAbsentReason?.coding?.[0]?.code).toBe('not-applicable');
  });

  test('a subject without Observations gives count 0 too', async () => {
    const r = await call('GET', `Observation/$stats?subject=Patient/nobody&code=8867-4&${march}&statistic=count`);
    expect(r.status).toBe(200);
    expect(value(statistics(r.body)[0], 'count').value).toBe(0);
  });

  test('codes come back in request order, each once', async () => {
    const p = await statsOf(`code=9279-1,8867-4&${march}&statistic=count`);
    expect(statistics(p).map((o) => [codeOf(o), value(o, 'count').value])).toEqual([['9279-1', 0], ['8867-4', 4]]);
  });
});

describe('inputs', () => {
  test('POST of a Parameters resource through a FHIR client (coding, period, statistic codes)', async () => {
    const p = (await srv.client.operation({
      resourceType: 'Observation',
      name: '$stats',
      input: {
        resourceType: 'Parameters',
        parameter: [
          { name: 'subject', valueUri: 'Patient/p1' },
          { name: 'coding', valueCoding: { system: loinc, code: '8867-4' } },
          { name: 'period', valuePeriod: { start: '2026-03-01', end: '2026-03-04' } },
          { name: 'statistic', valueCode: 'average' },
          { name: 'statistic', valueCode: 'maximum' },
          { name: 'include', valueBoolean: true },
          { name: 'limit', valuePositiveInt: 1 },
        ],
      },
    })) as unknown as Parameters;
    const [o] = statistics(p);
    expect(value(o, 'average').value).toBe(75);
    expect(value(o, 'maximum').value).toBe(90);
    expect(o.component).toHaveLength(2);
    expect(sources(p)).toEqual(['hr-1']);
  });

  test('an unknown statistic code is a 400', async () => {
    for (const code of ['max', 'totalcount']) {
      const r = await call('GET', `Observation/$stats?subject=Patient/p1&code=8867-4&${march}&statistic=${code}`);
      expect(r.status).toBe(400);
      expectOutcome(r, 'code-invalid');
    }
  });

  test('a missing subject, statistic or code is a 400', async () => {
    for (const query of [`code=8867-4&${march}&statistic=count`, `subject=Patient/p1&code=8867-4&${march}`, `subject=Patient/p1&${march}&statistic=count`]) {
      const r = await call('GET', `Observation/$stats?${query}`);
      expect(r.status).toBe(400);
      expectOutcome(r, 'invalid');
    }
  });

  test('a subject on another server, an unknown input and a bad limit are 400s', async () => {
    for (const query of [
      `subject=http://elsewhere.example/fhir/Patient/p1&code=8867-4&${march}&statistic=count`,
      `subject=Patient/p1&code=8867-4&${march}&statistic=count&patient=p1`,
      `subject=Patient/p1&code=8867-4&${march}&statistic=count&include=true&limit=0`,
    ]) {
      expectOutcome(await call('GET', `Observation/$stats?${query}`), 'invalid');
    }
  });

  test('an absolute subject on this server is accepted', async () => {
    const r = await call('GET', `Observation/$stats?subject=${srv.baseUrl}/Patient/p1&code=8867-4&${march}&statistic=count`);
    expect(value(statistics(r.body)[0], 'count').value).toBe(4);
  });

  test('the CapabilityStatement lists $stats on Observation', async () => {
    const r = await call('GET', 'metadata');
    const observation = r.body.rest[0].resource.find((x: { type: string }) => x.type === 'Observation');
    expect(observation.operation).toContainEqual({ name: 'stats', definition: 'http://hl7.org/fhir/OperationDefinition/Observation-stats' });
  });
});
