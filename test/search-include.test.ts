import type { Bundle, CapabilityStatement } from '@medplum/fhirtypes';
import { call as callServer, expectOutcome, startTestServer, type TestServer, put as putResource } from './harness.js';

// _include, _revinclude and :iterate (R4 search.html#include).

let srv: TestServer;
const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => callServer(srv, method, path, body, headers);

const put = (r: { resourceType: string; id: string } & Record<string, unknown>) => putResource(srv, r);
const hr = (id: string, patient: string, device?: string) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
  subject: { reference: `Patient/${patient}` },
  ...(device ? { device: { reference: `Device/${device}` } } : {}),
  valueQuantity: { value: 70, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
});

beforeAll(async () => {
  srv = await startTestServer();
  await put({ resourceType: 'Patient', id: 'inc-anna' });
  await put({ resourceType: 'Patient', id: 'inc-ben' });
  await put({ resourceType: 'Patient', id: 'inc-gone' });
  await put({ resourceType: 'Device', id: 'inc-watch', patient: { reference: 'Patient/inc-anna' } });
  await put({ resourceType: 'Device', id: 'inc-cuff', patient: { reference: 'Patient/inc-anna' } });
  await put(hr('inc-o1', 'inc-anna', 'inc-watch'));
  await put(hr('inc-o2', 'inc-anna'));
  await put(hr('inc-o3', 'inc-ben'));
  await put(hr('inc-o4', 'inc-gone'));
  expect((await call('DELETE', 'Patient/inc-gone')).status).toBe(200);
});
afterAll(async () => srv?.stop());

/** "mode Type/id" for every entry, sorted, so a table row states the whole expected bundle. */
async function entries(query: string): Promise<string[]> {
  const r = await call('GET', query);
  expect(r.status).toBe(200);
  return ((r.body as Bundle).entry ?? [])
    .filter((e) => e.search?.mode !== 'outcome')
    .map((e) => `${e.search?.mode} ${e.resource?.resourceType}/${e.resource?.id}`)
    .sort();
}

test.each([
  [
    'Observation?subject=Patient/inc-anna&_include=Observation:subject',
    ['include Patient/inc-anna', 'match Observation/inc-o1', 'match Observation/inc-o2'],
  ],
  [
    'Observation?_id=inc-o1&_include=Observation:device',
    ['include Device/inc-watch', 'match Observation/inc-o1'],
  ],
  [
    'Observation?_id=inc-o1&_include=Observation:*',
    ['include Device/inc-watch', 'include Patient/inc-anna', 'match Observation/inc-o1'],
  ],
  [
    'Observation?_id=inc-o1&_include=Observation:subject:Device',
    ['match Observation/inc-o1'],
  ],
  [
    // a deleted target is not included
    'Observation?_id=inc-o4&_include=Observation:subject',
    ['match Observation/inc-o4'],
  ],
  [
    'Patient?_id=inc-anna,inc-ben&_revinclude=Observation:subject',
    ['include Observation/inc-o1', 'include Observation/inc-o2', 'include Observation/inc-o3', 'match Patient/inc-anna', 'match Patient/inc-ben'],
  ],
  [
    'Patient?_id=inc-anna&_revinclude=Device:patient&_revinclude=Observation:subject',
    ['include Device/inc-cuff', 'include Device/inc-watch', 'include Observation/inc-o1', 'include Observation/inc-o2', 'match Patient/inc-anna'],
  ],
  [
    // without :iterate the second directive applies to the matches only (none are Patients)
    'Observation?_id=inc-o2&_include=Observation:subject&_revinclude=Device:patient',
    ['include Patient/inc-anna', 'match Observation/inc-o2'],
  ],
  [
    // with :iterate it applies to the included Patient too
    'Observation?_id=inc-o2&_include=Observation:subject&_revinclude:iterate=Device:patient',
    ['include Device/inc-cuff', 'include Device/inc-watch', 'include Patient/inc-anna', 'match Observation/inc-o2'],
  ],
  [
    // a resource is listed once, as a match, even when a directive also reaches it
    'Observation?subject=Patient/inc-anna&_include=Observation:subject&_revinclude:iterate=Observation:subject',
    ['include Patient/inc-anna', 'match Observation/inc-o1', 'match Observation/inc-o2'],
  ],
])('%s', async (query, expected) => {
  expect(await entries(query)).toEqual(expected);
});

test('paging links keep the include directives', async () => {
  const r = await call('GET', 'Observation?subject=Patient/inc-anna&_include=Observation:subject&_count=1');
  const next = (r.body as Bundle).link?.find((l) => l.relation === 'next')?.url ?? '';
  expect(decodeURIComponent(next)).toContain('_include=Observation:subject');
  const page2 = await call('GET', next);
  expect((page2.body as Bundle).entry?.map((e) => e.search?.mode).sort()).toEqual(['include', 'match']);
});

test.each(['Observation:nonsense', 'Nothing:subject', 'Observation', 'Observation:subject:Nothing'])(
  'a directive that cannot be honoured (_include=%s) is reported, and refused when strict',
  async (d) => {
    const lenient = await call('GET', `Observation?_id=inc-o1&_include=${d}`);
    expect(lenient.status).toBe(200);
    const outcome = (lenient.body as Bundle).entry?.find((e) => e.search?.mode === 'outcome');
    expect(JSON.stringify(outcome?.resource)).toContain(d);
    const strict = await call('GET', `Observation?_id=inc-o1&_include=${d}`, undefined, { prefer: 'handling=strict' });
    expect(strict.status).toBe(400);
    expectOutcome(strict);
  },
);

test('the CapabilityStatement lists the include and revinclude directives', async () => {
  const cs = (await call('GET', 'metadata')).body as CapabilityStatement;
  const obs = cs.rest?.[0].resource?.find((r) => r.type === 'Observation');
  expect(obs?.searchInclude).toEqual(expect.arrayContaining(['Observation:*', 'Observation:subject', 'Observation:device']));
  const patient = cs.rest?.[0].resource?.find((r) => r.type === 'Patient');
  expect(patient?.searchRevInclude).toEqual(expect.arrayContaining(['Observation:subject', 'Device:patient']));
});
