import type { Bundle, CapabilityStatement, OperationOutcome } from '@medplum/fhirtypes';
import { call as callServer, expectOutcome, put as putResource, startTestServer, type TestServer } from './harness.js';

// System-level search, GET [base]?_type=... and POST [base]/_search (R4 search.html#all), and
// compartment search by POST (R4 http.html#search). Expected matches are worked out by hand.

let now = Date.parse('2024-01-10T09:00:00Z');
let srv: TestServer;
const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => callServer(srv, method, path, body, headers);
const put = (r: { resourceType: string; id: string } & Record<string, unknown>) => putResource(srv, r);
const q = encodeURIComponent;
const form = { 'content-type': 'application/x-www-form-urlencoded' };
const strict = { prefer: 'handling=strict' };

const rpm = { system: 'urn:serium:tag', code: 'rpm' };
const study = 'http://example.org/fhir/StructureDefinition/study';
const loinc = 'http://loinc.org';
const fixtures = [
  { resourceType: 'Patient', id: 'y-pat1', meta: { tag: [rpm], source: 'urn:serium:source:clinic' }, identifier: [{ system: 'urn:serium:pseudonym', value: 'p-7' }], gender: 'female' },
  { resourceType: 'Patient', id: 'y-pat2', meta: { profile: [study] }, identifier: [{ system: 'urn:serium:pseudonym', value: 'p-8' }], gender: 'male' },
  {
    resourceType: 'Observation',
    id: 'y-obs1',
    meta: { tag: [rpm], security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }] },
    identifier: [{ system: 'urn:serium:pseudonym', value: 'p-7' }],
    status: 'final',
    code: { coding: [{ system: loinc, code: '8867-4' }] },
    subject: { reference: 'Patient/y-pat1' },
  },
  { resourceType: 'Observation', id: 'y-obs2', meta: { profile: [study] }, status: 'final', code: { coding: [{ system: loinc, code: '29463-7' }] }, subject: { reference: 'Patient/y-pat2' } },
  { resourceType: 'Device', id: 'y-watch', meta: { tag: [rpm] }, patient: { reference: 'Patient/y-pat1' } },
  { resourceType: 'Binary', id: 'y-blob', meta: { tag: [rpm] }, contentType: 'text/plain', data: 'aGVsbG8=' },
];
const late = { resourceType: 'Condition', id: 'y-late', subject: { reference: 'Patient/y-pat1' }, code: { text: 'hypertension' } };

beforeAll(async () => {
  srv = await startTestServer({}, { clock: () => new Date(now) });
  for (const r of fixtures) await put(r);
  now = Date.parse('2024-02-01T09:00:00Z');
  await put(late);
});
afterAll(async () => srv?.stop());

const matches = (b: Bundle) => (b.entry ?? []).filter((e) => e.search?.mode === 'match');
const keys = (b: Bundle) => matches(b).map((e) => `${e.resource?.resourceType}/${e.resource?.id}`).sort();
const outcome = (b: Bundle) => (b.entry ?? []).find((e) => e.search?.mode === 'outcome')?.resource as OperationOutcome | undefined;
const everything = ['Patient/y-pat1', 'Patient/y-pat2', 'Observation/y-obs1', 'Observation/y-obs2', 'Device/y-watch', 'Binary/y-blob', 'Condition/y-late'];

test.each([
  ['_type=Patient,Observation', ['Patient/y-pat1', 'Patient/y-pat2', 'Observation/y-obs1', 'Observation/y-obs2']],
  ['_type=Patient,Observation&_type=Device', ['Patient/y-pat1', 'Patient/y-pat2', 'Observation/y-obs1', 'Observation/y-obs2', 'Device/y-watch']],
  [`_tag=${q('urn:serium:tag|rpm')}`, ['Patient/y-pat1', 'Observation/y-obs1', 'Device/y-watch', 'Binary/y-blob']],
  [`_type=Patient,Observation&_tag=${q('urn:serium:tag|rpm')}`, ['Patient/y-pat1', 'Observation/y-obs1']],
  ['_type=Device,Binary&_tag=rpm', ['Device/y-watch', 'Binary/y-blob']],
  ['_type=Patient,Observation&_tag:not=rpm', ['Patient/y-pat2', 'Observation/y-obs2']],
  ['_id=y-pat2,y-obs1,y-blob', ['Patient/y-pat2', 'Observation/y-obs1', 'Binary/y-blob']],
  ['_type=Observation,Condition&_id=y-pat2,y-obs1,y-late', ['Observation/y-obs1', 'Condition/y-late']],
  ['_lastUpdated=ge2024-01-15', ['Condition/y-late']],
  ['_lastUpdated=lt2024-01-15&_type=Patient', ['Patient/y-pat1', 'Patient/y-pat2']],
  [`_profile=${q(study)}`, ['Patient/y-pat2', 'Observation/y-obs2']],
  [`_security=${q('http://terminology.hl7.org/CodeSystem/v3-Confidentiality|R')}`, ['Observation/y-obs1']],
  [`_source=${q('urn:serium:source:clinic')}`, ['Patient/y-pat1']],
  ['_content=hypertension', ['Condition/y-late']],
  ['_type=Patient,Observation&_content=p-7', ['Patient/y-pat1', 'Observation/y-obs1']],
  // identifier is a token parameter of both types: accepted, each type matched on its own rows
  [`_type=Patient,Observation&identifier=${q('urn:serium:pseudonym|p-7')}`, ['Patient/y-pat1', 'Observation/y-obs1']],
  // one type: a type-level search, with all its parameters
  ['_type=Patient&gender=male', ['Patient/y-pat2']],
  ['_type=Observation&code=8867-4', ['Observation/y-obs1']],
])('[base]?%s', async (query, expected) => {
  const r = await call('GET', `?${query}&_count=100`, undefined, strict);
  expect(r.status).toBe(200);
  expect(r.body.type).toBe('searchset');
  expect(keys(r.body)).toEqual([...expected].sort());
  expect(r.body.total).toBe(expected.length);
  for (const e of matches(r.body)) expect(e.fullUrl).toBe(`${srv.baseUrl}/${e.resource?.resourceType}/${e.resource?.id}`);
});

test('without _type and without parameters, every type is searched', async () => {
  const r = await call('GET', '?_count=100');
  expect(keys(r.body)).toEqual([...everything].sort());
  // the newest first
  expect(matches(r.body)[0].resource?.id).toBe('y-late');
});

test.each([
  // code is not a parameter of Patient; gender not one of Observation; _text not one of Binary
  ['_type=Patient,Observation&code=8867-4', /code/, ['Patient/y-pat1', 'Patient/y-pat2', 'Observation/y-obs1', 'Observation/y-obs2']],
  ['gender=male', /gender/, everything],
  ['_text=anything', /_text.*Binary/, everything],
  ['_type=Patient,Device&patient=Patient/y-pat1', /patient/, ['Patient/y-pat1', 'Patient/y-pat2', 'Device/y-watch']],
])('a parameter not common to the types searched is reported and ignored: %s', async (query, message, expected) => {
  const r = await call('GET', `?${query}&_count=100`);
  expect(r.status).toBe(200);
  expect(keys(r.body)).toEqual([...expected].sort());
  expect(outcome(r.body)?.issue[0].severity).toBe('warning');
  expect(outcome(r.body)?.issue[0].diagnostics).toMatch(message);
  const refused = await call('GET', `?${query}`, undefined, strict);
  expect(refused.status).toBe(400);
  expectOutcome(refused);
});

test('an unknown type in _type is a 400', async () => {
  const r = await call('GET', '?_type=Patient,Nonsense');
  expect(r.status).toBe(400);
  expectOutcome(r, 'invalid');
  expect(r.body.issue[0].diagnostics).toContain('Nonsense');
});

test('POST [base]/_search with a form body gives the same answer as GET', async () => {
  const get = await call('GET', `?_type=Patient,Observation&_tag=rpm`);
  const post = await call('POST', '_search', '_type=Patient,Observation&_tag=rpm', form);
  expect(post.status).toBe(200);
  expect(keys(post.body)).toEqual(keys(get.body));
  expect(keys(post.body)).toEqual(['Observation/y-obs1', 'Patient/y-pat1']);
  const json = await call('POST', '_search', { resourceType: 'Parameters' });
  expect(json.status).toBe(400);
});

test('through a FHIR client: system search by GET and POST', async () => {
  for (const postSearch of [false, true]) {
    const b = (await srv.client.systemSearch({ searchParams: { _type: 'Observation,Device', _tag: 'rpm' }, options: { postSearch } })) as unknown as Bundle;
    expect(keys(b)).toEqual(['Device/y-watch', 'Observation/y-obs1']);
  }
});

test('the paging links keep _type and page through every match', async () => {
  const first = await call('GET', '?_type=Patient,Observation,Device&_count=2');
  const self = first.body.link.find((l: { relation: string }) => l.relation === 'self').url as string;
  expect(new URL(self).searchParams.get('_type')).toBe('Patient,Observation,Device');
  const seen = keys(first.body);
  let next = first.body.link.find((l: { relation: string }) => l.relation === 'next')?.url as string | undefined;
  for (let i = 0; next && i < 5; i++) {
    const page = await call('GET', next);
    seen.push(...keys(page.body));
    next = page.body.link.find((l: { relation: string }) => l.relation === 'next')?.url;
  }
  expect(seen.sort()).toEqual(['Device/y-watch', 'Observation/y-obs1', 'Observation/y-obs2', 'Patient/y-pat1', 'Patient/y-pat2']);
});

test('_include works across the types found', async () => {
  const r = await call('GET', '?_type=Observation,Device&_tag=rpm&_include=Observation:subject&_include=Device:patient');
  expect(keys(r.body)).toEqual(['Device/y-watch', 'Observation/y-obs1']);
  const included = (r.body as Bundle).entry?.filter((e) => e.search?.mode === 'include').map((e) => e.resource?.id);
  expect(included).toEqual(['y-pat1']);
});

describe('compartment search by POST', () => {
  test.each([
    ['Patient/y-pat1/Observation/_search', '', ['Observation/y-obs1']],
    ['Patient/y-pat1/Observation/_search', 'code=29463-7', []],
    ['Patient/y-pat2/Observation/_search', 'code=29463-7', ['Observation/y-obs2']],
    ['Patient/y-pat1/Condition/_search', '_lastUpdated=ge2024-01-15', ['Condition/y-late']],
  ])('POST %s with %s', async (path, body, expected) => {
    const post = await call('POST', path, body, form);
    expect(post.status).toBe(200);
    expect(keys(post.body)).toEqual(expected);
    const get = await call('GET', `${path.replace(/\/_search$/, '')}?${body}`);
    expect(keys(get.body)).toEqual(expected);
  });

  test('through a FHIR client', async () => {
    const b = (await srv.client.compartmentSearch({
      resourceType: 'Observation',
      compartment: { resourceType: 'Patient', id: 'y-pat1' },
      searchParams: { code: '8867-4' },
      options: { postSearch: true },
    })) as unknown as Bundle;
    expect(keys(b)).toEqual(['Observation/y-obs1']);
  });

  test('an unknown member type is a 404', async () => {
    const r = await call('POST', 'Patient/y-pat1/Nonsense/_search', '', form);
    expect(r.status).toBe(404);
    expectOutcome(r);
  });
});

describe('the CapabilityStatement', () => {
  let cs: CapabilityStatement;
  beforeAll(async () => {
    cs = (await call('GET', 'metadata')).body as CapabilityStatement;
  });

  test('lists search-system once, and the system-level parameters', () => {
    const codes = cs.rest?.[0].interaction?.map((i) => i.code) ?? [];
    expect(codes.filter((c) => c === 'search-system')).toHaveLength(1);
    const names = cs.rest?.[0].searchParam?.map((p) => p.name).sort();
    expect(names).toEqual(['_content', '_id', '_lastUpdated', '_profile', '_security', '_source', '_tag', '_type'].sort());
  });

  test('every listed system-level parameter is accepted by a system search in strict mode', async () => {
    for (const p of cs.rest?.[0].searchParam ?? []) {
      const value = p.name === '_type' ? 'Patient' : p.name === '_id' ? 'y-pat1' : p.name === '_lastUpdated' ? 'ge2024' : p.name === '_content' ? 'x' : 'urn:x';
      const r = await call('GET', `?${p.name}=${q(value)}`, undefined, strict);
      expect([p.name, r.status]).toEqual([p.name, 200]);
    }
  });
});
