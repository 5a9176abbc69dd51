import type { Bundle } from '@medplum/fhirtypes';
import { call as callServer, startTestServer, type TestServer, put as putResource } from './harness.js';

// Chained parameters and reverse chaining with _has (R4 search.html#chaining, #has).

let srv: TestServer;
const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => callServer(srv, method, path, body, headers);
const put = (r: { resourceType: string; id: string } & Record<string, unknown>) => putResource(srv, r);
const obs = (id: string, subject: string, code: string, value: number) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code }] },
  subject: { reference: subject },
  valueQuantity: { value, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
});

beforeAll(async () => {
  srv = await startTestServer();
  await put({ resourceType: 'Organization', id: 'ch-care', name: 'Care at Home Lyon' });
  await put({ resourceType: 'Organization', id: 'ch-other', name: 'Other Care' });
  await put({
    resourceType: 'Patient',
    id: 'ch-anna',
    identifier: [{ value: 'hh-1' }],
    name: [{ family: 'Martin', given: ['Anna'] }],
    managingOrganization: { reference: 'Organization/ch-care' },
  });
  await put({ resourceType: 'Patient', id: 'ch-ben', name: [{ family: 'Bernard', given: ['Ben'] }], managingOrganization: { reference: 'Organization/ch-other' } });
  await put({ resourceType: 'Group', id: 'ch-group', identifier: [{ value: 'hh-1' }], type: 'person', actual: true, name: 'Martin household' });
  await put(obs('ch-o1', 'Patient/ch-anna', '8867-4', 72));
  await put(obs('ch-o2', 'Patient/ch-ben', '8867-4', 130));
  await put(obs('ch-o3', 'Patient/ch-ben', '2708-6', 97));
  await put(obs('ch-o4', 'Group/ch-group', '8867-4', 60));
  await put({ resourceType: 'Device', id: 'ch-watch', patient: { reference: 'Patient/ch-anna' } });
});
afterAll(async () => srv?.stop());

async function ids(query: string, prefer?: string): Promise<string[] | number> {
  const r = await call('GET', query, undefined, prefer ? { prefer } : {});
  if (r.status !== 200) return r.status;
  return ((r.body as Bundle).entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource?.id as string).sort();
}

test.each([
  ['Observation?subject:Patient.name=martin', ['ch-o1']],
  ['Observation?subject:Patient.family=bernard', ['ch-o2', 'ch-o3']],
  // without a type, every target type that has the parameter is tried: Patient and Group have identifier
  ['Observation?subject.identifier=hh-1', ['ch-o1', 'ch-o4']],
  ['Observation?subject:Group.identifier=hh-1', ['ch-o4']],
  ['Observation?subject:Group.type=person', ['ch-o4']],
  // Group has no name parameter, so only Patients answer
  ['Observation?subject.name=martin', ['ch-o1']],
  // two levels
  ['Observation?subject:Patient.organization.name=care%20at', ['ch-o1']],
  ['Observation?subject:Patient.organization:Organization.name=other', ['ch-o2', 'ch-o3']],
  // with other parameters, and a modifier at the end of the chain
  ['Observation?subject:Patient.name=bernard&code=2708-6', ['ch-o3']],
  ['Observation?subject:Patient.name:exact=Martin', ['ch-o1']],
  ['Observation?subject:Patient.name:exact=martin', []],
  // reverse chaining
  ['Patient?_has:Observation:subject:code=2708-6', ['ch-ben']],
  ['Patient?_has:Observation:subject:code=8867-4', ['ch-anna', 'ch-ben']],
  ['Patient?_has:Observation:subject:value-quantity=gt100', ['ch-ben']],
  ['Patient?_has:Device:patient:_id=ch-watch', ['ch-anna']],
  ['Organization?_has:Patient:organization:_has:Observation:subject:code=2708-6', ['ch-other']],
  // _has combined with a chain inside it
  ['Patient?_has:Observation:subject:subject:Patient.name=anna', ['ch-anna']],
])('%s', async (query, expected) => {
  expect(await ids(query)).toEqual(expected);
});

test.each([
  'Observation?code.name=x', // code is not a reference
  'Observation?subject:Practitioner.name=x', // Practitioner is not a subject target... of Observation.subject
  'Observation?subject:Patient.nonsense=x',
  'Observation?subject:Group.name=martin', // R4 Group has no name search parameter
  'Patient?_has:Observation:code:status=final', // code is not a reference
  'Patient?_has:Nothing:subject:code=x',
  'Patient?_has:Observation:subject',
])('refused when strict: %s', async (query) => {
  expect(await ids(query, 'handling=strict')).toBe(400);
});
