import type { Bundle, BundleEntry, Observation, OperationOutcome, Patient } from '@medplum/fhirtypes';
import { startTestServer, type TestServer, call } from './harness.js';

// Conditional writes inside a transaction follow the rules of the single interactions
// (R4 http.html#ccreate, #cond-update) and Prefer: return=... (R4 http.html#ops).

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => srv?.stop());

const sys = 'http://example.org/tx-cond';

type Answer = Bundle & Pick<OperationOutcome, 'issue'>;

async function transaction(entry: BundleEntry[], prefer?: string): Promise<{ status: number; body: Answer }> {
  return call(srv, 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry }, prefer ? { prefer } : {});
}

async function search(query: string): Promise<Bundle> {
  const res = await srv.fetch(query);
  expect(res.status).toBe(200);
  return res.json();
}

async function create(resource: Patient): Promise<Patient> {
  return (await srv.client.create({ resourceType: 'Patient', body: resource as never })) as unknown as Patient;
}

async function read(id: string): Promise<{ status: number; body: Patient }> {
  const res = await srv.fetch(`Patient/${id}`);
  return { status: res.status, body: await res.json() };
}

const patient = (value: string, extra: Partial<Patient> = {}): Patient => ({ resourceType: 'Patient', identifier: [{ system: sys, value }], ...extra });
const observation = (value: string, subject: string): Observation => ({
  resourceType: 'Observation',
  identifier: [{ system: sys, value }],
  status: 'final',
  code: { text: 'test' },
  subject: { reference: subject },
});
const criteria = (value: string) => `identifier=${sys}|${value}`;
const idOf = (location: string | undefined) => location?.split('/')[1];
const patientsWith = async (value: string) => ((await search(`Patient?${criteria(value)}`)).entry ?? []).map((e) => e.resource as Patient);

describe('conditional PUT entries', () => {
  test('a body id that differs from the one match is 400 and nothing is written', async () => {
    const match = await create(patient('cput-differs'));
    const other = await create(patient('cput-differs-other'));
    const { status, body } = await transaction([
      { resource: patient('cput-differs-post'), request: { method: 'POST', url: 'Patient' } },
      { resource: patient('cput-differs', { id: other.id, gender: 'female' }), request: { method: 'PUT', url: `Patient?${criteria('cput-differs')}` } },
    ]);
    expect(status).toBe(400);
    expect(body.resourceType as string).toBe('OperationOutcome');
    expect(body.issue[0].diagnostics).toMatch(/Bundle\.entry\[1\]/);
    expect(body.issue[0].diagnostics).toContain(`differs from the matched Patient/${match.id}`);
    const [m, o] = await Promise.all([read(match.id as string), read(other.id as string)]);
    expect(m.body.meta?.versionId).toBe('1');
    expect(m.body.gender).toBeUndefined();
    expect(o.body.meta?.versionId).toBe('1');
    expect(o.body.identifier?.[0].value).toBe('cput-differs-other');
    expect(await patientsWith('cput-differs-post')).toHaveLength(0);
  });

  test('no match with the id of a live resource the criteria did not select is 409 and nothing is written', async () => {
    const live = await create(patient('cput-live'));
    const { status, body } = await transaction([
      { resource: patient('cput-live-post'), request: { method: 'POST', url: 'Patient' } },
      { resource: patient('cput-nobody', { id: live.id }), request: { method: 'PUT', url: `Patient?${criteria('cput-nobody')}` } },
    ]);
    expect(status).toBe(409);
    expect(body.resourceType as string).toBe('OperationOutcome');
    expect(body.issue[0].diagnostics).toMatch(/Bundle\.entry\[1\].*does not match the criteria/);
    const stored = await read(live.id as string);
    expect(stored.body.meta?.versionId).toBe('1');
    expect(stored.body.identifier?.[0].value).toBe('cput-live');
    expect(await patientsWith('cput-nobody')).toHaveLength(0);
    expect(await patientsWith('cput-live-post')).toHaveLength(0);
  });

  test('no match with the id of a deleted resource creates it again under that id', async () => {
    const gone = await create(patient('cput-gone'));
    expect((await srv.fetch(`Patient/${gone.id}`, { method: 'DELETE' })).status).toBeLessThan(300);
    const { status, body } = await transaction([
      { resource: patient('cput-revived', { id: gone.id }), request: { method: 'PUT', url: `Patient?${criteria('cput-revived')}` } },
    ]);
    expect(status).toBe(200);
    expect(body.entry?.[0].response?.status).toBe('201 Created');
    expect(idOf(body.entry?.[0].response?.location)).toBe(gone.id);
    expect((await read(gone.id as string)).body.identifier?.[0].value).toBe('cput-revived');
  });

  test('an id that is not a valid FHIR id is 400', async () => {
    const { status, body } = await transaction([
      { resource: patient('cput-badid', { id: 'bad/id' }), request: { method: 'PUT', url: `Patient?${criteria('cput-badid')}` } },
    ]);
    expect(status).toBe(400);
    expect(body.issue[0].diagnostics).toMatch(/Bundle\.entry\[0\].*Invalid id/);
    expect(await patientsWith('cput-badid')).toHaveLength(0);
  });
});

describe('concurrent transactions with the same criteria', () => {
  test('six transactions with the same ifNoneExist create exactly one Patient', async () => {
    // Each bundle also creates Observations referring to the Patient entry, so every
    // transaction has work to do between its match and its commit.
    const pUrl = 'urn:uuid:5a5a5a5a-0000-4000-8000-000000000001';
    const bundle = (n: number): BundleEntry[] => [
      { fullUrl: pUrl, resource: patient('race-ine'), request: { method: 'POST', url: 'Patient', ifNoneExist: criteria('race-ine') } },
      ...Array.from({ length: 10 }, (_, i) => ({ resource: observation(`race-ine-${n}-${i}`, pUrl), request: { method: 'POST' as const, url: 'Observation' } })),
    ];
    const replies = await Promise.all(Array.from({ length: 6 }, (_, n) => transaction(bundle(n))));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const entries = replies.map((r) => r.body.entry?.[0].response);
    expect(entries.map((e) => e?.status).sort()).toEqual(['200 OK', '200 OK', '200 OK', '200 OK', '200 OK', '201 Created']);
    const stored = await patientsWith('race-ine');
    expect(stored).toHaveLength(1);
    expect(new Set(entries.map((e) => idOf(e?.location)))).toEqual(new Set([stored[0].id]));
    const subjects = ((await search(`Observation?subject=Patient/${stored[0].id}&_count=100`)).entry ?? []).map((e) => e.resource?.id);
    expect(subjects).toHaveLength(60);
  });

  test('six transactions with the same conditional PUT create one Patient and update it five times', async () => {
    const replies = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        transaction([{ resource: patient('race-put', { name: [{ family: `F${i}` }] }), request: { method: 'PUT', url: `Patient?${criteria('race-put')}` } }]),
      ),
    );
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const entries = replies.map((r) => r.body.entry?.[0].response);
    expect(entries.map((e) => e?.status).sort()).toEqual(['200 OK', '200 OK', '200 OK', '200 OK', '200 OK', '201 Created']);
    expect(entries.map((e) => e?.etag).sort()).toEqual(['W/"1"', 'W/"2"', 'W/"3"', 'W/"4"', 'W/"5"', 'W/"6"']);
    const stored = await patientsWith('race-put');
    expect(stored).toHaveLength(1);
    expect(stored[0].meta?.versionId).toBe('6');
  });
});

describe('Prefer: return on transaction writes', () => {
  /** A transaction with a plain POST and a POST whose ifNoneExist matches an existing Patient. */
  async function postAndMatched(tag: string, prefer: string) {
    const existing = await create(patient(`${tag}-existing`));
    const reply = await transaction(
      [
        { resource: patient(`${tag}-new`), request: { method: 'POST', url: 'Patient' } },
        { resource: patient(`${tag}-existing`, { gender: 'male' }), request: { method: 'POST', url: 'Patient', ifNoneExist: criteria(`${tag}-existing`) } },
      ],
      prefer,
    );
    expect(reply.status).toBe(200);
    const [created, matched] = reply.body.entry as BundleEntry[];
    expect(created.response?.status).toBe('201 Created');
    expect(created.response?.location).toMatch(/^Patient\/[A-Za-z0-9\-.]+\/_history\/1$/);
    expect(created.response?.etag).toBe('W/"1"');
    expect(matched.response?.status).toBe('200 OK');
    expect(matched.response?.location).toBe(`Patient/${existing.id}/_history/1`);
    expect(matched.response?.etag).toBe('W/"1"');
    return { created, matched, existing };
  }

  test('return=minimal: neither the created nor the matched entry carries a resource', async () => {
    const { created, matched } = await postAndMatched('pref-min', 'return=minimal');
    expect(created.resource).toBeUndefined();
    expect(matched.resource).toBeUndefined();
    expect(created.response?.outcome).toBeUndefined();
    expect(matched.response?.outcome).toBeUndefined();
    expect(await patientsWith('pref-min-new')).toHaveLength(1);
  });

  test('return=OperationOutcome: each entry carries an OperationOutcome in response.outcome and no resource', async () => {
    const { created, matched, existing } = await postAndMatched('pref-oo', 'return=OperationOutcome');
    expect(created.resource).toBeUndefined();
    expect(matched.resource).toBeUndefined();
    const createdOutcome = created.response?.outcome as OperationOutcome | undefined;
    const matchedOutcome = matched.response?.outcome as OperationOutcome | undefined;
    expect(createdOutcome?.resourceType).toBe('OperationOutcome');
    expect(createdOutcome?.issue[0].severity).toBe('information');
    expect(createdOutcome?.issue[0].diagnostics).toBe(`Created Patient/${idOf(created.response?.location)}`);
    expect(matchedOutcome?.resourceType).toBe('OperationOutcome');
    expect(matchedOutcome?.issue[0].severity).toBe('information');
    expect(matchedOutcome?.issue[0].diagnostics).toBe(`Patient/${existing.id} already exists`);
  });

  test('return=representation (and no Prefer) returns the stored resources', async () => {
    const { created, matched, existing } = await postAndMatched('pref-rep', 'return=representation');
    expect(created.resource?.id).toBe(idOf(created.response?.location));
    expect(created.response?.outcome).toBeUndefined();
    expect(matched.resource?.id).toBe(existing.id);
    expect((matched.resource as Patient).gender).toBeUndefined();
    expect(matched.fullUrl).toBe(`${srv.baseUrl}/Patient/${existing.id}`);
  });
});
