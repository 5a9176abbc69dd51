import type { Bundle, BundleEntry, OperationOutcome, Patient, Resource } from '@medplum/fhirtypes';
import { startTestServer, type TestServer, call } from './harness.js';

// R4 http.html#transaction: in a batch each entry succeeds or fails on its own; the answer is a
// batch-response with one entry per request, in request order, failures carrying an OperationOutcome.

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => srv?.stop());

const sys = 'http://example.org/batch';

type Answer = Bundle & Pick<OperationOutcome, 'issue'>;

async function post(bundle: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Answer }> {
  return call(srv, 'POST', '', bundle, headers);
}
const batch = (entry: unknown[], headers?: Record<string, string>) => post({ resourceType: 'Bundle', type: 'batch', entry }, headers);

async function create<T extends Resource>(resource: T): Promise<T> {
  return (await srv.client.create({ resourceType: resource.resourceType, body: resource as never })) as unknown as T;
}
const patient = (value: string, extra: Partial<Patient> = {}): Patient => ({ resourceType: 'Patient', identifier: [{ system: sys, value }], ...extra });
const countOf = async (value: string) => {
  const res = await srv.fetch(`Patient?identifier=${sys}|${value}`);
  return ((await res.json()) as Bundle).entry?.length ?? 0;
};
const statuses = (b: Bundle) => b.entry?.map((e) => e.response?.status);
const outcomeOf = (e: BundleEntry | undefined) => e?.response?.outcome as OperationOutcome | undefined;
const binaryPatch = (ops: unknown) => ({
  resourceType: 'Binary',
  contentType: 'application/json-patch+json',
  data: Buffer.from(JSON.stringify(ops)).toString('base64'),
});

test('entries succeed and fail independently, answered in request order', async () => {
  const a = await create(patient('stale', { gender: 'female' }));
  const b = await create(patient('patched', { gender: 'female' }));
  const c = await create(patient('deleted'));
  const { status, body } = await batch([
    { resource: patient('batch-new'), request: { method: 'POST', url: 'Patient' } },
    { resource: { resourceType: 'Observation', status: 'bogus', code: { text: 'x' } }, request: { method: 'POST', url: 'Observation' } },
    { request: { method: 'GET', url: 'Patient/does-not-exist' } },
    { resource: { ...a, gender: 'male' }, request: { method: 'PUT', url: `Patient/${a.id}`, ifMatch: 'W/"9"' } },
    { resource: binaryPatch([{ op: 'replace', path: '/gender', value: 'male' }]), request: { method: 'PATCH', url: `Patient/${b.id}` } },
    { request: { method: 'DELETE', url: `Patient/${c.id}` } },
    { request: { method: 'GET', url: `Patient/${a.id}` } },
  ]);
  expect(status).toBe(200);
  expect(body.type).toBe('batch-response');
  expect(statuses(body)).toEqual(['201 Created', '400 Bad Request', '404 Not Found', '412 Precondition Failed', '200 OK', '200 OK', '200 OK']);

  expect(body.entry?.[0].response?.location).toMatch(/^Patient\/[A-Za-z0-9\-.]+\/_history\/1$/);
  expect(body.entry?.[0].response?.etag).toBe('W/"1"');
  const invalid = outcomeOf(body.entry?.[1]);
  expect(invalid?.issue.find((i) => i.code === 'code-invalid')?.expression).toEqual(['Observation.status']);
  expect(outcomeOf(body.entry?.[2])?.issue[0].code).toBe('not-found');
  expect(outcomeOf(body.entry?.[3])?.issue[0].diagnostics).toMatch(/Version 9/);
  expect(body.entry?.[4].response?.etag).toBe('W/"2"');
  expect((body.entry?.[6].resource as Patient).gender).toBe('female');

  expect(await countOf('batch-new')).toBe(1);
  const after = (await srv.client.read({ resourceType: 'Patient', id: a.id as string })) as unknown as Patient;
  expect(after.meta?.versionId).toBe('1');
  expect(((await srv.client.read({ resourceType: 'Patient', id: b.id as string })) as unknown as Patient).gender).toBe('male');
  expect((await srv.fetch(`Patient/${c.id}`)).status).toBe(410);
});

test('a malformed entry fails alone', async () => {
  const { status, body } = await batch([
    {},
    { resource: patient('malformed-neighbour'), request: { method: 'POST', url: 'Patient' } },
    { request: { method: 'FETCH', url: 'Patient' } },
    { request: { method: 'GET', url: 'UnknownType/1' } },
    { request: { method: 'GET', url: 'Patient/%zz' } },
    null,
    { resource: { resourceType: 'Bundle', type: 'batch' }, request: { method: 'POST', url: '/' } },
    { resource: [], request: { method: 'POST', url: 'Patient' } },
  ]);
  expect(status).toBe(200);
  expect(statuses(body)).toEqual(['400 Bad Request', '201 Created', '400 Bad Request', '404 Not Found', '400 Bad Request', '400 Bad Request', '400 Bad Request', '400 Bad Request']);
  expect(outcomeOf(body.entry?.[0])?.issue[0].expression).toEqual(['Bundle.entry[0].request']);
  expect(outcomeOf(body.entry?.[2])?.issue[0].expression).toEqual(['Bundle.entry[2].request.method']);
  expect(outcomeOf(body.entry?.[3])?.issue[0].diagnostics).toMatch(/UnknownType/);
  expect(outcomeOf(body.entry?.[4])?.issue[0].diagnostics).toMatch(/percent-encoding/);
  expect(outcomeOf(body.entry?.[5])?.issue[0].expression).toEqual(['Bundle.entry[5]']);
  expect(outcomeOf(body.entry?.[6])?.issue[0].diagnostics).toMatch(/cannot nest/);
  expect(outcomeOf(body.entry?.[7])?.issue[0].expression).toEqual(['Bundle.entry[7].resource']);
  expect(await countOf('malformed-neighbour')).toBe(1);
});

test('a PATCH entry whose Binary is not a base64 JSON Patch fails alone', async () => {
  const p = await create(patient('bad-patch', { gender: 'female' }));
  const { body } = await batch([
    { resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data: '***' }, request: { method: 'PATCH', url: `Patient/${p.id}` } },
    { resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data: Buffer.from('{nope').toString('base64') }, request: { method: 'PATCH', url: `Patient/${p.id}` } },
    { resource: binaryPatch({ op: 'replace' }), request: { method: 'PATCH', url: `Patient/${p.id}` } },
    { resource: binaryPatch([{ op: 'test', path: '/gender', value: 'male' }]), request: { method: 'PATCH', url: `Patient/${p.id}` } },
    { resource: binaryPatch([{ op: 'add', path: '/active', value: true }]), request: { method: 'PATCH', url: `Patient/${p.id}` } },
  ]);
  expect(statuses(body)).toEqual(['400 Bad Request', '400 Bad Request', '400 Bad Request', '422 Unprocessable Entity', '200 OK']);
  expect(outcomeOf(body.entry?.[0])?.issue[0].expression).toEqual(['Bundle.entry[0].resource.data']);
  const after = (await srv.client.read({ resourceType: 'Patient', id: p.id as string })) as unknown as Patient;
  expect(after.active).toBe(true);
  expect(after.gender).toBe('female');
  expect(after.meta?.versionId).toBe('2');
});

test('ifNoneExist is honoured per entry: one match returns it, two fail that entry with 412', async () => {
  const existing = await create(patient('batch-ine'));
  await create(patient('batch-ine-two'));
  await create(patient('batch-ine-two'));
  const { body } = await batch([
    { resource: patient('batch-ine'), request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${sys}|batch-ine` } },
    { resource: patient('batch-ine-two'), request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${sys}|batch-ine-two` } },
    { resource: patient('batch-ine-none'), request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${sys}|batch-ine-none` } },
  ]);
  expect(statuses(body)).toEqual(['200 OK', '412 Precondition Failed', '201 Created']);
  expect(body.entry?.[0].response?.location).toBe(`Patient/${existing.id}/_history/1`);
  expect(await countOf('batch-ine')).toBe(1);
  expect(await countOf('batch-ine-two')).toBe(2);
  expect(await countOf('batch-ine-none')).toBe(1);
});

test('a search entry answers with a searchset', async () => {
  await create(patient('batch-search'));
  const { body } = await batch([{ request: { method: 'GET', url: `Patient?identifier=${sys}|batch-search` } }]);
  const found = body.entry?.[0].resource as Bundle;
  expect(found.type).toBe('searchset');
  expect(found.entry).toHaveLength(1);
});

test('Prefer: return=minimal leaves the created resources out of the entries', async () => {
  const { body } = await batch([{ resource: patient('batch-minimal'), request: { method: 'POST', url: 'Patient' } }], { prefer: 'return=minimal' });
  expect(body.entry?.[0].response?.status).toBe('201 Created');
  expect(body.entry?.[0].response?.location).toMatch(/^Patient\//);
  expect(body.entry?.[0].resource).toBeUndefined();
});

test('a DELETE entry reports its outcome in response.outcome, not as the entry resource', async () => {
  const p = await create(patient('batch-delete-outcome'));
  const { body } = await batch([{ request: { method: 'DELETE', url: `Patient/${p.id}` } }]);
  expect(body.entry?.[0].resource).toBeUndefined();
  expect(outcomeOf(body.entry?.[0])?.resourceType).toBe('OperationOutcome');
});

test('an empty batch or transaction answers with an empty response bundle', async () => {
  for (const type of ['batch', 'transaction']) {
    const { status, body } = await post({ resourceType: 'Bundle', type });
    expect(status).toBe(200);
    expect(body.type).toBe(`${type}-response`);
    // FHIR JSON forbids empty arrays, so there is no "entry": [].
    expect('entry' in body).toBe(false);
  }
});

test.each([
  ['a Patient', { resourceType: 'Patient' }, 'resourceType'],
  ['a collection Bundle', { resourceType: 'Bundle', type: 'collection' }, 'Bundle.type'],
  ['a Bundle without type', { resourceType: 'Bundle' }, 'Bundle.type'],
  ['entry as an object', { resourceType: 'Bundle', type: 'batch', entry: {} }, 'Bundle.entry'],
])('POST to the base with %s is a 400', async (_name, bundle, expression) => {
  const { status, body } = await post(bundle);
  expect(status).toBe(400);
  expect(body.resourceType as string).toBe('OperationOutcome');
  expect(body.issue[0].expression).toEqual([expression]);
});
