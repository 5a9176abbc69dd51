import type { Bundle, OperationOutcome } from '@medplum/fhirtypes';
import { startTestServer, type TestServer, call as callServer, put as putResource } from './harness.js';

// Type-level search over HTTP: parameter types, prefixes, modifiers, OR/AND, result parameters and
// paging (R4 search.html). Expected ids are worked out by hand from the fixtures below.

let now = Date.parse('2023-05-01T10:00:00Z');
let srv: TestServer;


const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => callServer(srv, method, path, body, headers);

const put = (r: { resourceType: string; id: string } & Record<string, unknown>) => putResource(srv, r);

const mrn = 'urn:oid:1.2.36.146.595.217.0.1';
const ucum = 'http://unitsofmeasure.org';
const loinc = 'http://loinc.org';

// Patients after fhir-r4-examples/patient-example.json (Peter James Chalmers and his contact
// Bénédicte du Marché); Observations after observation-example.json.
const patients = [
  {
    resourceType: 'Patient',
    id: 's-chalmers',
    identifier: [{ system: mrn, value: '12345' }],
    active: true,
    name: [
      { use: 'official', family: 'Chalmers', given: ['Peter', 'James'] },
      { use: 'usual', given: ['Jim'] },
    ],
    gender: 'male',
    birthDate: '1974-12-25',
    address: [{ line: ['534 Erewhon St'], city: 'PleasantVille', state: 'Vic', postalCode: '3999' }],
  },
  {
    resourceType: 'Patient',
    id: 's-marche',
    identifier: [{ system: mrn, value: '67890' }],
    active: false,
    name: [{ family: 'du Marché', given: ['Bénédicte'] }],
    gender: 'female',
    birthDate: '1974-12',
  },
  { resourceType: 'Patient', id: 's-windsor', identifier: [{ value: '12345' }], name: [{ family: 'Windsor', given: ['Peter'] }], gender: 'male', birthDate: '1980-01-01' },
  { resourceType: 'Patient', id: 's-chalmerson', name: [{ family: 'Chalmerson', given: ['Anne'] }] },
];
const late = { resourceType: 'Patient', id: 's-late', name: [{ family: 'Later' }], gender: 'other', birthDate: '1990-07-14' };

const observation = (id: string, codes: [string, string][], subject: string, effective: object, value: object) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: codes.map(([system, code]) => ({ system, code })) },
  subject: { reference: subject },
  ...effective,
  valueQuantity: value,
});
const observations = [
  observation('s-weight', [[loinc, '29463-7'], ['http://snomed.info/sct', '27113001']], 'Patient/s-chalmers', { effectiveDateTime: '2016-03-28' }, { value: 185, unit: 'lbs', system: ucum, code: '[lb_av]' }),
  observation('s-weight2', [[loinc, '29463-7']], 'Patient/s-marche', { effectiveDateTime: '2016-03-28T10:30:00Z' }, { value: 72.5, unit: 'kg', system: ucum, code: 'kg' }),
  observation('s-hr', [[loinc, '8867-4']], 'Patient/s-chalmers', { effectiveDateTime: '2017-06-01T08:00:00+02:00' }, { value: 72, unit: 'beats/minute', system: ucum, code: '/min' }),
  observation('s-glucose', [[loinc, '15074-8']], 'Patient/s-windsor', { effectivePeriod: { start: '2012-01-01', end: '2012-12-31' } }, { value: 6.3, unit: 'mmol/l', system: ucum, code: 'mmol/L' }),
  observation('s-creatinine', [[loinc, '2160-0']], 'Patient/s-late', {}, { value: 1.15, unit: 'mg/dL', system: ucum, code: 'mg/dL' }),
];

beforeAll(async () => {
  srv = await startTestServer({}, { clock: () => new Date(now) });
  for (const r of [...patients, ...observations]) await put(r);
  now = Date.parse('2023-06-15T12:00:00Z');
  await put(late);
  now = Date.parse('2023-07-01T00:00:00Z');
});
afterAll(async () => srv?.stop());

const matches = (b: Bundle) => (b.entry ?? []).filter((e) => e.search?.mode === 'match');
const ids = (b: Bundle) => matches(b).map((e) => e.resource?.id as string).sort();
const s = (...names: string[]) => names.map((n) => `s-${n}`).sort();
const allPatients = s('chalmers', 'marche', 'windsor', 'chalmerson', 'late');
const q = encodeURIComponent;

describe('Patient', () => {
  test.each([
    // token
    [`identifier=${q(`${mrn}|12345`)}`, s('chalmers')],
    ['identifier=12345', s('chalmers', 'windsor')],
    [`identifier=${q('|12345')}`, s('windsor')],
    [`identifier=${q(`${mrn}|`)}`, s('chalmers', 'marche')],
    [`identifier=${q(`${mrn}|99999`)}`, []],
    ['gender=male', s('chalmers', 'windsor')],
    ['gender=female,other', s('marche', 'late')],
    ['gender:not=male', s('marche', 'chalmerson', 'late')],
    // a code's system is implied by its required binding (R4 administrative-gender)
    [`gender=${q('http://hl7.org/fhir/administrative-gender|male')}`, s('chalmers', 'windsor')],
    [`gender=${q('http://hl7.org/fhir/administrative-gender|')}`, s('chalmers', 'marche', 'windsor', 'late')],
    [`gender=${q('http://example.org/other-system|male')}`, []],
    ['active=true', s('chalmers')],
    ['active=false', s('marche')],
    // string: starts-with, case and accent folded; :exact; :contains
    ['family=chalmers', s('chalmers', 'chalmerson')],
    ['family=CHALM', s('chalmers', 'chalmerson')],
    ['family:exact=Chalmers', s('chalmers')],
    ['family:exact=chalmers', []],
    ['family=marche', []],
    [`family=${q('du Marche')}`, s('marche')],
    [`family=${q('DU MARCHÉ')}`, s('marche')],
    ['family:contains=marche', s('marche')],
    ['family:contains=ALMER', s('chalmers', 'chalmerson')],
    ['given=benedicte', s('marche')],
    [`given:exact=${q('Bénédicte')}`, s('marche')],
    ['given:exact=Benedicte', []],
    ['name=jim', s('chalmers')],
    ['name=peter', s('chalmers', 'windsor')],
    ['address-city=pleasant', s('chalmers')],
    // date: the value is a range as long as its precision
    ['birthdate=1974-12-25', s('chalmers')],
    ['birthdate=eq1974-12-25', s('chalmers')],
    ['birthdate=1974-12', s('chalmers', 'marche')],
    ['birthdate=1974', s('chalmers', 'marche')],
    [`birthdate=${q('1974-12-25T10:00:00Z')}`, []],
    ['birthdate=ne1974-12-25', s('marche', 'windsor', 'late')],
    ['birthdate=gt1974-12-25', s('marche', 'windsor', 'late')],
    ['birthdate=ge1974-12-25', s('chalmers', 'marche', 'windsor', 'late')],
    ['birthdate=lt1974-12-25', s('marche')],
    ['birthdate=le1974-12-25', s('chalmers', 'marche')],
    ['birthdate=sa1974-12-25', s('windsor', 'late')],
    ['birthdate=eb1980-01-01', s('chalmers', 'marche')],
    ['birthdate=lt1980', s('chalmers', 'marche')],
    ['birthdate=ge1974&birthdate=lt1975', s('chalmers', 'marche')],
    ['birthdate=1974-12-25,1980-01-01', s('chalmers', 'windsor')],
    // :missing
    ['birthdate:missing=true', s('chalmerson')],
    ['gender:missing=true', s('chalmerson')],
    ['gender:missing=false', s('chalmers', 'marche', 'windsor', 'late')],
    ['identifier:missing=true', s('chalmerson', 'late')],
    // _id and _lastUpdated
    ['_id=s-chalmers', s('chalmers')],
    ['_id=s-chalmers,s-windsor', s('chalmers', 'windsor')],
    ['_id=nobody', []],
    ['_lastUpdated=2023-05-01', s('chalmers', 'marche', 'windsor', 'chalmerson')],
    ['_lastUpdated=lt2023-06', s('chalmers', 'marche', 'windsor', 'chalmerson')],
    ['_lastUpdated=gt2023-05-01', s('late')],
    [`_lastUpdated=${q('ge2023-06-15T12:00:00Z')}`, s('late')],
    [`_lastUpdated=${q('gt2023-06-15T12:00:00Z')}`, []],
    // AND across parameters
    ['gender=male&birthdate=ge1975', s('windsor')],
    ['family=chalmers&given=anne', s('chalmerson')],
    ['name=peter&name=james', s('chalmers')],
  ])('Patient?%s', async (query, expected) => {
    const r = await call('GET', `Patient?${query}&_count=100`);
    expect(r.status).toBe(200);
    expect(r.body.type).toBe('searchset');
    expect(ids(r.body)).toEqual(expected);
    expect(r.body.total).toBe(expected.length);
    for (const e of matches(r.body)) expect(e.fullUrl).toBe(`${srv.baseUrl}/Patient/${e.resource?.id}`);
  });
});

describe('Observation', () => {
  test.each([
    // token
    [`code=${q(`${loinc}|29463-7`)}`, s('weight', 'weight2')],
    ['code=27113001', s('weight')],
    [`code=${q('http://snomed.info/sct|29463-7')}`, []],
    [`code=${q(`${loinc}|29463-7,${loinc}|8867-4`)}`, s('weight', 'weight2', 'hr')],
    // reference
    ['subject=Patient/s-chalmers', s('weight', 'hr')],
    ['subject=s-chalmers', s('weight', 'hr')],
    ['subject:Patient=s-windsor', s('glucose')],
    ['patient=Patient/s-marche', s('weight2')],
    ['subject=Patient/nobody', []],
    ['subject=Patient/s-chalmers,Patient/s-windsor', s('weight', 'hr', 'glucose')],
    ['encounter:missing=true', s('weight', 'weight2', 'hr', 'glucose', 'creatinine')],
    ['date:missing=true', s('creatinine')],
    // quantity: precision of the value, prefixes, system and code
    ['value-quantity=185', s('weight')],
    [`value-quantity=${q(`185|${ucum}|[lb_av]`)}`, s('weight')],
    [`value-quantity=${q(`185|${ucum}|kg`)}`, []],
    ['value-quantity=72', s('hr')],
    ['value-quantity=72.5', s('weight2')],
    ['value-quantity=gt100', s('weight')],
    ['value-quantity=lt72.5', s('hr', 'glucose', 'creatinine')],
    ['value-quantity=le72.5', s('weight2', 'hr', 'glucose', 'creatinine')],
    ['value-quantity=1.1', []],
    ['value-quantity=1.15', s('creatinine')],
    ['value-quantity=1.2', s('creatinine')],
    ['value-quantity=ne1.2', s('weight', 'weight2', 'hr', 'glucose')],
    // UCUM-aware: 185 [lb_av] is 83.9 kg
    [`value-quantity=${q(`ge72.5|${ucum}|kg`)}`, s('weight', 'weight2')],
    [`value-quantity=${q('72||/min')}`, s('hr')],
    // date: day, second and time zone precision; periods
    ['date=2016-03-28', s('weight', 'weight2')],
    [`date=${q('2016-03-28T10:30:00Z')}`, s('weight2')],
    [`date=${q('2017-06-01T06:00:00Z')}`, s('hr')],
    [`date=${q('2017-06-01T08:00:00Z')}`, []],
    [`date=${q('2017-06-01T08:00:00+02:00')}`, s('hr')],
    ['date=2012', s('glucose')],
    ['date=2012-06', []],
    ['date=ge2012-06', s('weight', 'weight2', 'hr', 'glucose')],
    ['date=lt2016', s('glucose')],
    [`date=${q('ge2016-03-28T10:00:00Z')}&date=lt2017`, s('weight', 'weight2')],
    // AND across parameters
    ['patient=s-chalmers&code=8867-4', s('hr')],
  ])('Observation?%s', async (query, expected) => {
    const r = await call('GET', `Observation?${query}&_count=100`);
    expect(r.status).toBe(200);
    expect(ids(r.body)).toEqual(expected);
  });
});

describe('result parameters', () => {
  test('_count pages with next links until every match was seen once', async () => {
    const seen: string[] = [];
    let url: string | undefined = 'Patient?_count=2&_sort=_id';
    const sizes: number[] = [];
    while (url) {
      const r = await call('GET', url);
      expect(r.status).toBe(200);
      const b = r.body as Bundle;
      sizes.push(matches(b).length);
      seen.push(...matches(b).map((e) => e.resource?.id as string));
      expect(b.link?.find((l) => l.relation === 'self')?.url).toContain('_count=2');
      url = b.link?.find((l) => l.relation === 'next')?.url;
      if (url) expect(url.startsWith(`${srv.baseUrl}/Patient?`)).toBe(true);
      expect(sizes.length).toBeLessThan(5);
    }
    expect(sizes).toEqual([2, 2, 1]);
    expect(seen).toEqual([...allPatients].sort());
  });

  test('the next link keeps the search criteria', async () => {
    const first = (await call('GET', 'Patient?gender=male,female,other&_count=2&_sort=_id')).body as Bundle;
    const next = first.link?.find((l) => l.relation === 'next')?.url as string;
    const second = (await call('GET', next)).body as Bundle;
    expect([...ids(first), ...ids(second)].sort()).toEqual(s('chalmers', 'marche', 'windsor', 'late'));
    expect(second.link?.some((l) => l.relation === 'next')).toBe(false);
  });

  test.each([
    ['Patient?_summary=count', 5],
    ['Patient?gender=male&_summary=count', 2],
    ['Observation?code=27113001&_summary=count', 1],
  ])('%s gives the total and no entries', async (url, total) => {
    const b = (await call('GET', url)).body as Bundle;
    expect(b.total).toBe(total);
    expect(b.entry ?? []).toHaveLength(0);
  });

  test('_total=accurate counts every match when a page is full', async () => {
    const b = (await call('GET', 'Patient?_count=2&_total=accurate')).body as Bundle;
    expect(matches(b)).toHaveLength(2);
    expect(b.total).toBe(5);
  });

  test('POST _search with a form body gives the same answer as GET', async () => {
    const r = await call('POST', 'Patient/_search?_count=100', 'gender=male&birthdate=lt1980', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(r.status).toBe(200);
    expect(ids(r.body)).toEqual(s('chalmers'));
  });
});

describe('unknown and invalid parameters', () => {
  test('an unknown parameter is ignored and reported in an outcome entry', async () => {
    const r = await call('GET', 'Patient?colour=blue&gender=female');
    expect(r.status).toBe(200);
    const b = r.body as Bundle;
    expect(ids(b)).toEqual(s('marche'));
    const outcomes = (b.entry ?? []).filter((e) => e.search?.mode === 'outcome');
    expect(outcomes).toHaveLength(1);
    const oo = outcomes[0].resource as OperationOutcome;
    expect(oo.resourceType).toBe('OperationOutcome');
    expect(oo.issue?.[0].severity).toBe('warning');
    expect(oo.issue?.[0].diagnostics).toContain('colour');
    const self = b.link?.find((l) => l.relation === 'self')?.url as string;
    expect(self).toContain('gender=female');
    expect(self).not.toContain('colour');
  });

  test.each([
    ['Patient?colour=blue&gender=female', 'handling=strict', 400],
    ['Patient?family:sounds-like=chalmers', 'handling=strict', 400],
    ['Patient?colour=blue&gender=female', 'handling=lenient', 200],
    ['Patient?family:sounds-like=chalmers', '', 200],
  ])('%s with Prefer "%s" → %i', async (url, prefer, status) => {
    const r = await call('GET', url, undefined, prefer ? { prefer } : {});
    expect(r.status).toBe(status);
    if (status === 400) expect(r.body.resourceType).toBe('OperationOutcome');
    else expect(r.body.resourceType).toBe('Bundle');
  });

  test.each([
    'Patient?birthdate=not-a-date',
    'Patient?birthdate=1974-13-01',
    'Observation?value-quantity=heavy',
    'Patient?_count=-1',
    'Patient?gender:missing=maybe',
    'Patient?_summary=everything',
  ])('%s is 400 with an OperationOutcome', async (url) => {
    const r = await call('GET', url);
    expect(r.status).toBe(400);
    expect(r.body.resourceType).toBe('OperationOutcome');
  });
});
