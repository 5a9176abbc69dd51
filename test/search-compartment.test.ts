import type { Bundle, CapabilityStatement } from '@medplum/fhirtypes';
import { call as callServer, expectOutcome, startTestServer, type TestServer, put as putResource } from './harness.js';

// Compartment search (R4 search.html#compartments, CompartmentDefinition/patient).

let srv: TestServer;
const call = (method: string, path: string) => callServer(srv, method, path);
const put = (r: { resourceType: string; id: string } & Record<string, unknown>) => putResource(srv, r);
const obs = (id: string, extra: Record<string, unknown>) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: id.endsWith('spo2') ? '2708-6' : '8867-4' }] },
  ...extra,
});

beforeAll(async () => {
  srv = await startTestServer();
  await put({ resourceType: 'Patient', id: 'cp-anna' });
  await put({ resourceType: 'Patient', id: 'cp-ben', link: [{ other: { reference: 'Patient/cp-anna' }, type: 'seealso' }] });
  await put(obs('cp-o1-hr', { subject: { reference: 'Patient/cp-anna' } }));
  await put(obs('cp-o2-spo2', { subject: { reference: 'Patient/cp-anna' } }));
  await put(obs('cp-o3-hr', { subject: { reference: 'Patient/cp-ben' } }));
  // in the compartment through performer, not subject
  await put(obs('cp-o4-hr', { subject: { reference: 'Patient/cp-ben' }, performer: [{ reference: 'Patient/cp-anna' }] }));
  await put({ resourceType: 'Device', id: 'cp-watch', patient: { reference: 'Patient/cp-anna' } });
});
afterAll(async () => srv?.stop());

async function ids(path: string): Promise<string[]> {
  const r = await call('GET', path);
  expect(r.status).toBe(200);
  return ((r.body as Bundle).entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource?.id as string).sort();
}

test.each([
  ['Patient/cp-anna/Observation', ['cp-o1-hr', 'cp-o2-spo2', 'cp-o4-hr']],
  ['Patient/cp-anna/Observation?code=2708-6', ['cp-o2-spo2']],
  ['Patient/cp-ben/Observation', ['cp-o3-hr', 'cp-o4-hr']],
  ['Patient/nobody/Observation', []],
  // a Patient is in its own compartment, and in another's through link
  ['Patient/cp-anna/Patient', ['cp-anna', 'cp-ben']],
  ['Patient/cp-ben/Patient', ['cp-ben']],
])('%s', async (path, expected) => {
  expect(await ids(path)).toEqual(expected);
});

test('paging links stay inside the compartment', async () => {
  const r = await call('GET', 'Patient/cp-anna/Observation?_count=1');
  const next = (r.body as Bundle).link?.find((l) => l.relation === 'next')?.url ?? '';
  expect(next).toContain('/Patient/cp-anna/Observation?');
  expect(await ids(next.slice(srv.baseUrl.length))).toHaveLength(1);
});

test.each([
  // R4's patient compartment lists Device without parameters: Devices are not members
  ['Patient/cp-anna/Device', 400],
  ['Device/cp-watch/Observation', 404],
  ['Patient/cp-anna/Nothing', 404],
])('%s answers %i', async (path, status) => {
  const r = await call('GET', path);
  expect(r.status).toBe(status);
  expectOutcome(r);
});

test('the CapabilityStatement names the patient compartment', async () => {
  const cs = (await call('GET', 'metadata')).body as CapabilityStatement;
  expect(cs.rest?.[0].compartment).toEqual(['http://hl7.org/fhir/CompartmentDefinition/patient']);
});
