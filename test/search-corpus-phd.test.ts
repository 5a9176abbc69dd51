import type { Bundle } from '@medplum/fhirtypes';
import { call, type TestServer } from './harness.js';
import { dateMatches, expectSearch, hasCoding, periodSpan, span, startCorpusServer, type Corpus, type Expected, type Res } from './corpus.js';

// The HL7 Personal Health Device IG examples in ../shared/data/phd-ig-examples (loaded once per run
// by corpus.ts with the other corpora): vital-sign Observations by MDC and LOINC code, quantities
// with prefixes, blood-pressure components, devices. Expected answers come from the files and the
// R4 search rules, never from the server.

let srv: TestServer;
let corpus: Corpus;
beforeAll(async () => ({ srv, corpus } = await startCorpusServer()), 900_000);
afterAll(async () => srv?.stop());

const check = (type: string, query: string, expected: Expected) => expectSearch(srv, corpus, type, query, expected);
const q = encodeURIComponent;

const mdc = 'urn:iso:std:iso:11073:10101';
const phd74 = 'phd-74E8FFFEFF051C00.001C05FFE874'; // pulse oximeter

describe('PHD device observations', () => {
  const code = (system: string, c: string) => (o: Res) => hasCoding(o.code, system, c);
  const spo2 = code(mdc, '150456');
  const value = (o: Res): number | undefined => o.valueQuantity?.value;
  const onDay = (day: string) => (o: Res) => {
    const t = o.effectiveDateTime ? span(o.effectiveDateTime) : periodSpan(o.effectivePeriod);
    return !!t && dateMatches('eq', span(day), t);
  };
  const components = (o: Res): number[] => (o.component ?? []).map((c: any) => c.valueQuantity?.value).filter((v: unknown) => typeof v === 'number');
  test.each<[string, Expected]>([
    // SpO2: numeric-spo2-alarm (79 %), bundle-example-1 (98 %), bundle-continuousnonin (99 % and 11 × 100 %)
    [`code=${q(`${mdc}|150456`)}`, { n: 14, where: spo2 }],
    [`code=${q('http://loinc.org|2708-6')}`, { n: 14, where: spo2 }],
    [`code=${q(`${mdc}|2708-6`)}`, []],
    // :not drops a resource when any of its codings matches
    [`code:not=${q('http://loinc.org|2708-6')}`, { n: 57, where: (o) => !spo2(o) }],
    [`code=${q(`${mdc}|150456`)}&value-quantity=lt90`, ['numeric-spo2-alarm']],
    [`code=${q(`${mdc}|150456`)}&value-quantity=ge99`, { n: 12, where: (o) => spo2(o) && (value(o) as number) >= 99 }],
    // 100 has no decimals: it stands for [99.5, 100.5)
    [`code=${q(`${mdc}|150456`)}&value-quantity=100`, { n: 11, where: (o) => spo2(o) && value(o) === 100 }],
    [`code=${q(`${mdc}|150456`)}&value-quantity=ne100`, { n: 3, where: (o) => spo2(o) && value(o) !== 100 }],
    [`value-quantity=${q('ge98|http://unitsofmeasure.org|%')}`, { n: 15, where: (o) => o.valueQuantity?.code === '%' && (value(o) as number) >= 98 }],
    [`code=${q('http://loinc.org|8867-4')}&value-quantity=gt53`, { n: 11, where: (o) => hasCoding(o.code, 'http://loinc.org', '8867-4') && (value(o) as number) > 53 }],
    // blood pressure 116/71 (mean 86 in one of the two); observation-decimal.json has components
    // 1, 1, 1, 1e-22, 1e+18, 1e-245 and -1e+245 g
    ['component-value-quantity=gt110', { n: 3, where: (o) => components(o).some((v) => v > 110) }],
    [`component-value-quantity=lt72&code=${q('http://loinc.org|85354-9')}`, ['compound-numeric-blood-pressure', 'compound-numeric-blood-pressure-no-mean']],
    ['component-value-quantity=86', ['compound-numeric-blood-pressure']],
    ['component-value-quantity=1', ['decimal']],
    ['component-value-quantity=lt0', ['decimal']],
    // the only Observation whose code is text alone
    ['code:text=decimal', ['decimal']],
    // continuous readings at 19:07:36..48-05:00 on 2018-11-11 fall on 2018-11-12 in UTC
    ['date=2018-11-11', { n: 4, where: onDay('2018-11-11') }],
    ['date=2018-11-12', { n: 51, where: onDay('2018-11-12') }],
    // MDC 150320 from the oximeter at 19:07:37..48-05:00: 12 in bundle-continuousnonin.json and
    // numeric-observation-not-a-number.json (no value: the date still matches)
    [`device=Device/${phd74}&date=2018-11-12&code=${q(`${mdc}|150320`)}`, { n: 13, where: (o) => o.device?.reference === `Device/${phd74}` && code(mdc, '150320')(o) && onDay('2018-11-12')(o) }],
  ])('Observation?%s', async (query, expected) => check('Observation', query, expected));

  test.each<[string, string, Expected]>([
    // phg-example.json and phg-ecde3d4e58532d31.000000000000.json are one gateway
    ['Device', `identifier=${q('urn:oid:1.2.840.10004.1.1.1.0.0.1.0.0.1.2680|ec-de-3d-4e-58-53-2d-31')}`, ['phg-example', 'phg-ecde3d4e58532d31.000000000000']],
    // the three phd-*.json and the pulse oximeter bundle-example-1.json creates
    ['Device', `type=${q(`${mdc}|65573`)}`, { n: 4, where: (d) => hasCoding(d.type, mdc, '65573') }],
    ['DeviceMetric', `type=${q(`${mdc}|150456`)}`, ['example']],
  ])('%s?%s', async (type, query, expected) => check(type, query, expected));

  // R4 Observation.effective[x] and value[x] are summary elements: a summary without the reading
  // and its time is of no use to a monitoring client
  test('_summary=true keeps Observation.value[x] and effective[x]', async () => {
    const r = await call(srv, 'GET', 'Observation?_id=numeric-spo2-alarm&_summary=true');
    const res = (r.body as Bundle).entry?.find((e) => e.search?.mode === 'match')?.resource as Res;
    expect(res.code.coding).toHaveLength(2);
    expect(res.valueQuantity).toMatchObject({ value: 79, code: '%' });
    expect(res.effectiveDateTime).toBe('2018-11-13T17:59:02-05:00');
  });

  test('_summary=count on PHD codes', async () => {
    const r = await call(srv, 'GET', `Observation?code=${q(`${mdc}|150456,${mdc}|149530`)}&_summary=count`);
    expect((r.body as Bundle).total).toBe(corpus.of('Observation').filter((o) => spo2(o) || hasCoding(o.code, mdc, '149530')).length);
    expect((r.body as Bundle).total).toBe(28);
  });
});
