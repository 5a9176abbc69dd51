import type { Patient } from '@medplum/fhirtypes';
import { startTestServer, type TestServer, call as callServer, expectOutcome, type Reply } from './harness.js';

// create, read and update over HTTP (R4 http.html#create, #read, #update, Prefer in #ops).

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => srv?.stop());


const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => callServer(srv, method, path, body, headers);

/** Trimmed from fhir-r4-examples/patient-example.json. */
const chalmers = (): Patient => ({
  resourceType: 'Patient',
  id: 'example',
  identifier: [{ use: 'usual', system: 'urn:oid:1.2.36.146.595.217.0.1', value: '12345' }],
  active: true,
  name: [
    { use: 'official', family: 'Chalmers', given: ['Peter', 'James'] },
    { use: 'usual', given: ['Jim'] },
  ],
  gender: 'male',
  birthDate: '1974-12-25',
  address: [{ use: 'home', line: ['534 Erewhon St'], city: 'PleasantVille', state: 'Vic', postalCode: '3999' }],
});


/** Last-Modified carries the version's lastUpdated at second precision. */
function expectLastModified(r: Reply, lastUpdated: string): void {
  const header = r.headers.get('last-modified');
  expect(header).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  expect(Date.parse(header as string)).toBe(Math.floor(Date.parse(lastUpdated) / 1000) * 1000);
}

describe('create', () => {
  test('201 with a server-assigned id, Location, ETag, Last-Modified and meta', async () => {
    const before = Date.now();
    const body = { ...chalmers(), meta: { versionId: '7', lastUpdated: '2001-01-01T00:00:00Z' } };
    const r = await call('POST', 'Patient', body);
    expect(r.status).toBe(201);
    expect(r.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    const p = r.body as Patient;
    expect(p.id).toMatch(/^[A-Za-z0-9\-.]{1,64}$/);
    expect(p.id).not.toBe('example');
    expect(r.headers.get('location')).toBe(`${srv.baseUrl}/Patient/${p.id}/_history/1`);
    expect(r.headers.get('etag')).toBe('W/"1"');
    expect(p.meta?.versionId).toBe('1');
    const lastUpdated = Date.parse(p.meta?.lastUpdated as string);
    expect(lastUpdated).toBeGreaterThanOrEqual(before - 1000);
    expect(lastUpdated).toBeLessThanOrEqual(Date.now() + 1000);
    expectLastModified(r, p.meta?.lastUpdated as string);
    expect(p.name).toEqual(chalmers().name);
    expect(p.birthDate).toBe('1974-12-25');
    // nothing was stored under the id the client sent
    expect((await call('GET', 'Patient/example')).status).toBe(404);
  });

  test('two creates of the same body make two resources', async () => {
    const a = await call('POST', 'Patient', chalmers());
    const b = await call('POST', 'Patient', chalmers());
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.id).not.toBe(b.body.id);
  });

  test.each([
    ['a resource of another type', { resourceType: 'Observation', status: 'final', code: { text: 'x' } }, 400],
    ['no resourceType', { gender: 'male' }, 400],
    ['an array', [chalmers()], 400],
    ['an invalid code', { resourceType: 'Patient', gender: 'robot' }, 400],
    ['an unknown element', { resourceType: 'Patient', colour: 'blue' }, 400],
    ['broken JSON', '{"resourceType": "Patient",', 400],
  ])('rejects %s with an OperationOutcome and stores nothing', async (_what, body, status) => {
    const before = await call('GET', 'Patient?_summary=count');
    const r = await call('POST', 'Patient', body);
    expect(r.status).toBe(status);
    expectOutcome(r);
    const after = await call('GET', 'Patient?_summary=count');
    expect(after.body.total).toBe(before.body.total);
  });

  test('POST to an unknown resource type is 404', async () => {
    const r = await call('POST', 'Patientx', { resourceType: 'Patientx' });
    expect(r.status).toBe(404);
    expectOutcome(r);
  });
});

describe('read', () => {
  test('200 with the stored resource, ETag and Last-Modified', async () => {
    const created = await call('POST', 'Patient', chalmers());
    const r = await call('GET', `Patient/${created.body.id}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    expect(r.headers.get('etag')).toBe('W/"1"');
    expectLastModified(r, created.body.meta.lastUpdated);
    expect(r.body).toEqual(created.body);
  });

  test('an unknown id is 404 with an OperationOutcome', async () => {
    const r = await call('GET', 'Patient/does-not-exist');
    expect(r.status).toBe(404);
    expectOutcome(r, 'not-found');
  });

  test('an id of another type is 404', async () => {
    const created = await call('POST', 'Patient', chalmers());
    const r = await call('GET', `Observation/${created.body.id}`);
    expect(r.status).toBe(404);
    expectOutcome(r);
  });

  test('an id that is not a FHIR id is refused', async () => {
    const r = await call('GET', `Patient/${'x'.repeat(65)}`);
    expect(r.status).toBe(400);
    expectOutcome(r);
  });
});

describe('update', () => {
  test('PUT on an existing resource is 200 and makes version 2', async () => {
    const created = (await call('POST', 'Patient', chalmers())).body as Patient;
    const id = created.id as string;
    const r = await call('PUT', `Patient/${id}`, { ...chalmers(), id, gender: 'other', meta: { versionId: '9' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('etag')).toBe('W/"2"');
    expect(r.headers.get('location')).toBe(`${srv.baseUrl}/Patient/${id}/_history/2`);
    expect(r.body.meta.versionId).toBe('2');
    expect(r.body.gender).toBe('other');
    expect(Date.parse(r.body.meta.lastUpdated)).toBeGreaterThanOrEqual(Date.parse(created.meta?.lastUpdated as string));
    expectLastModified(r, r.body.meta.lastUpdated);
    const read = await call('GET', `Patient/${id}`);
    expect(read.headers.get('etag')).toBe('W/"2"');
    expect(read.body).toEqual(r.body);
  });

  test('PUT with a new client id creates it (201, version 1)', async () => {
    const r = await call('PUT', 'Patient/client-chosen-1', { ...chalmers(), id: 'client-chosen-1' });
    expect(r.status).toBe(201);
    expect(r.headers.get('location')).toBe(`${srv.baseUrl}/Patient/client-chosen-1/_history/1`);
    expect(r.headers.get('etag')).toBe('W/"1"');
    expect(r.body.id).toBe('client-chosen-1');
    expect(r.body.meta.versionId).toBe('1');
    const read = await call('GET', 'Patient/client-chosen-1');
    expect(read.status).toBe(200);
    expect(read.body.name).toEqual(chalmers().name);
  });

  test.each([
    ['no id in the body', (id: string) => ({ ...chalmers(), id: undefined, gender: 'female' }), 'existing'],
    ['an id differing from the URL', () => ({ ...chalmers(), id: 'someone-else', gender: 'female' }), 'existing'],
    ['a resource of another type', (id: string) => ({ resourceType: 'Observation', id, status: 'final', code: { text: 'x' } }), 'existing'],
    ['an invalid resource', (id: string) => ({ ...chalmers(), id, gender: 'robot' }), 'existing'],
    ['no id, on a new id', () => ({ ...chalmers(), id: undefined }), 'new'],
    ['a differing id, on a new id', () => ({ ...chalmers(), id: 'someone-else' }), 'new'],
  ])('PUT with %s is 400 and stores nothing', async (_what, makeBody, target) => {
    let id = 'never-created-' + Math.random().toString(36).slice(2, 8);
    if (target === 'existing') id = (await call('POST', 'Patient', chalmers())).body.id;
    const r = await call('PUT', `Patient/${id}`, makeBody(id));
    expect(r.status).toBe(400);
    expectOutcome(r);
    const read = await call('GET', `Patient/${id}`);
    if (target === 'existing') {
      expect(read.body.meta.versionId).toBe('1');
      expect(read.body.gender).toBe('male');
    } else {
      expect(read.status).toBe(404);
    }
    expect((await call('GET', 'Patient/someone-else')).status).toBe(404);
  });
});

describe('Prefer: return', () => {
  type Write = (pref: string) => Promise<Reply>;
  const writes: [string, number, Write][] = [
    ['create', 201, (pref) => call('POST', 'Patient', chalmers(), { prefer: pref })],
    [
      'update',
      200,
      async (pref) => {
        const id = (await call('POST', 'Patient', chalmers())).body.id;
        return call('PUT', `Patient/${id}`, { ...chalmers(), id, gender: 'female' }, { prefer: pref });
      },
    ],
    [
      'patch',
      200,
      async (pref) => {
        const id = (await call('POST', 'Patient', chalmers())).body.id;
        return call('PATCH', `Patient/${id}`, JSON.stringify([{ op: 'replace', path: '/gender', value: 'female' }]), {
          'content-type': 'application/json-patch+json',
          prefer: pref,
        });
      },
    ],
  ];
  const cases = writes.flatMap(([name, status, write]) =>
    (['return=minimal', 'return=representation', 'return=OperationOutcome', ''] as const).map((pref) => [name, pref, status, write] as const),
  );

  test.each(cases)('%s with Prefer "%s"', async (name, pref, status, write) => {
    const r = await write(pref);
    expect(r.status).toBe(status);
    const location = r.headers.get('location') as string;
    const m = new RegExp(`^${srv.baseUrl}/Patient/([^/]+)/_history/(\\d+)$`).exec(location);
    expect(m).not.toBeNull();
    const [, id, vid] = m as RegExpExecArray;
    expect(r.headers.get('etag')).toBe(`W/"${vid}"`);
    expect(vid).toBe(name === 'create' ? '1' : '2');
    const stored = await call('GET', `Patient/${id}`);
    expect(stored.body.gender).toBe(name === 'create' ? 'male' : 'female');
    if (pref === 'return=minimal') {
      expect(r.text).toBe('');
    } else if (pref === 'return=OperationOutcome') {
      expect(r.body.resourceType).toBe('OperationOutcome');
      expect(r.body.issue[0].severity).toBe('information');
    } else {
      // representation is the default
      expect(r.body).toEqual(stored.body);
    }
  });
});
