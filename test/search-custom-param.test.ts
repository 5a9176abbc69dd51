import { startTestServer, type TestServer, call, put } from './harness.js';

// A SearchParameter from fhir-profiles/ (Observation.method, not in R4 core) is indexed at write
// time, searchable with the token syntax and modifiers, and listed in the CapabilityStatement.

let srv: TestServer;
const sct = 'http://snomed.info/sct';
const reading = (id: string, method?: { system: string; code: string }) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
  ...(method ? { method: { coding: [method] } } : {}),
});

beforeAll(async () => {
  srv = await startTestServer();
  await put(srv, reading('cuff', { system: sct, code: '17146006' }));
  await put(srv, reading('watch', { system: sct, code: '258104002' }));
  await put(srv, reading('unknown'));
});
afterAll(() => srv?.stop());

const ids = async (query: string) => {
  const r = await call(srv, 'GET', `Observation?${query}`, undefined, { prefer: 'handling=strict' });
  expect(r.status).toBe(200);
  return (r.body.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id).sort();
};

test.each([
  [`method=${sct}|17146006`, ['cuff']],
  ['method=258104002', ['watch']],
  ['method=17146006,258104002', ['cuff', 'watch']],
  [`method:not=${sct}|17146006`, ['unknown', 'watch']],
  ['method:missing=true', ['unknown']],
])('%s', async (query, expected) => {
  expect(await ids(query)).toEqual(expected);
});

test('is listed in the CapabilityStatement with its canonical URL', async () => {
  const cs = (await call(srv, 'GET', 'metadata')).body;
  const obs = cs.rest[0].resource.find((r: { type: string }) => r.type === 'Observation');
  const method = obs.searchParam.find((p: { name: string }) => p.name === 'method');
  expect(method).toMatchObject({ type: 'token', definition: 'urn:serium:SearchParameter:observation-method' });
});
