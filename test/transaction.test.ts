import type { Bundle, BundleEntry, Observation, OperationOutcome, Patient, Resource } from '@medplum/fhirtypes';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fhirJson, startTestServer, type TestServer, call } from './harness.js';

// R4 http.html#transaction: all or nothing, processed DELETE, POST, PUT/PATCH, GET, answered
// with a transaction-response whose entries follow the request order.

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => srv?.stop());

const sys = 'http://example.org/tx';

/** The answer: a transaction-response Bundle, or an OperationOutcome when the transaction failed. */
type Answer = Bundle & Pick<OperationOutcome, 'issue'>;

async function transaction(entry: BundleEntry[]): Promise<{ status: number; body: Answer }> {
  return call(srv, 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry });
}

async function search(query: string): Promise<Bundle> {
  const res = await srv.fetch(query);
  expect(res.status).toBe(200);
  return res.json();
}

async function create<T extends Resource>(resource: T): Promise<T> {
  return (await srv.client.create({ resourceType: resource.resourceType, body: resource as never })) as unknown as T;
}

const patient = (value: string, extra: Partial<Patient> = {}): Patient => ({ resourceType: 'Patient', identifier: [{ system: sys, value }], ...extra });
const observation = (value: string, subject: string, extra: Partial<Observation> = {}): Observation => ({
  resourceType: 'Observation',
  identifier: [{ system: sys, value }],
  status: 'final',
  code: { text: 'test' },
  subject: { reference: subject },
  ...extra,
});
const idOf = (location: string | undefined) => location?.split('/')[1];
const countOf = async (type: string, value: string) => (await search(`${type}?identifier=${sys}|${value}`)).entry?.length ?? 0;
const patchEntry = (url: string, ops: unknown[]): BundleEntry => ({
  resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data: Buffer.from(JSON.stringify(ops)).toString('base64') },
  request: { method: 'PATCH', url },
});

describe('response', () => {
  test('is a transaction-response with one entry per request, in request order, with status, location and etag', async () => {
    const { status, body } = await transaction([
      { resource: { ...patient('resp-1'), id: 'tx-resp-put' }, request: { method: 'PUT', url: 'Patient/tx-resp-put' } },
      { fullUrl: 'urn:uuid:0f0c1b8e-0000-4000-8000-000000000001', resource: patient('resp-2'), request: { method: 'POST', url: 'Patient' } },
      { request: { method: 'GET', url: 'Patient/tx-resp-put' } },
    ]);
    expect(status).toBe(200);
    expect(body.resourceType).toBe('Bundle');
    expect(body.type).toBe('transaction-response');
    expect(body.entry).toHaveLength(3);
    const [put, post, get] = body.entry as BundleEntry[];
    expect(put.response?.status).toBe('201 Created');
    expect(put.response?.location).toBe('Patient/tx-resp-put/_history/1');
    expect(put.response?.etag).toBe('W/"1"');
    expect(post.response?.status).toBe('201 Created');
    expect(post.response?.location).toMatch(/^Patient\/[A-Za-z0-9\-.]+\/_history\/1$/);
    expect(post.response?.etag).toBe('W/"1"');
    expect((post.resource as Patient).identifier?.[0].value).toBe('resp-2');
    expect(get.response?.status).toBe('200 OK');
    expect(get.resource?.id).toBe('tx-resp-put');
  });
});

describe('references', () => {
  test('urn:uuid references become Type/id of the entries they name', async () => {
    const pUrl = 'urn:uuid:6b1c4a36-0000-4000-8000-000000000002';
    const { status, body } = await transaction([
      { fullUrl: 'urn:uuid:6b1c4a36-0000-4000-8000-000000000003', resource: observation('ref-obs', pUrl, { performer: [{ reference: pUrl }] }), request: { method: 'POST', url: 'Observation' } },
      { fullUrl: pUrl, resource: patient('ref-pat'), request: { method: 'POST', url: 'Patient' } },
    ]);
    expect(status).toBe(200);
    const patientId = idOf(body.entry?.[1].response?.location);
    const obsId = idOf(body.entry?.[0].response?.location) as string;
    const stored = (await srv.client.read({ resourceType: 'Observation', id: obsId })) as unknown as Observation;
    expect(stored.subject?.reference).toBe(`Patient/${patientId}`);
    expect(stored.performer?.[0].reference).toBe(`Patient/${patientId}`);
  });

  test('a urn:uuid no entry declares fails the transaction and stores nothing', async () => {
    const { status, body } = await transaction([
      { resource: patient('dangling-pat'), request: { method: 'POST', url: 'Patient' } },
      { resource: observation('dangling-obs', 'urn:uuid:9e9e9e9e-0000-4000-8000-000000000000'), request: { method: 'POST', url: 'Observation' } },
    ]);
    expect(status).toBe(400);
    expect(body.resourceType as string).toBe('OperationOutcome');
    expect(body.issue[0].diagnostics).toMatch(/Bundle\.entry\[1\].*urn:uuid:9e9e9e9e/);
    expect(await countOf('Patient', 'dangling-pat')).toBe(0);
  });

  test('a conditional reference is resolved to the one resource it matches', async () => {
    const p = await create(patient('cref-1'));
    const { status, body } = await transaction([
      { resource: observation('cref-obs', `Patient?identifier=${sys}|cref-1`), request: { method: 'POST', url: 'Observation' } },
    ]);
    expect(status).toBe(200);
    const obs = (await srv.client.read({ resourceType: 'Observation', id: idOf(body.entry?.[0].response?.location) as string })) as unknown as Observation;
    expect(obs.subject?.reference).toBe(`Patient/${p.id}`);
  });

  test('a conditional reference matching nothing fails the transaction and stores nothing', async () => {
    const { status, body } = await transaction([
      { resource: patient('cref-none-pat'), request: { method: 'POST', url: 'Patient' } },
      { resource: observation('cref-none', `Patient?identifier=${sys}|nobody`), request: { method: 'POST', url: 'Observation' } },
    ]);
    expect(status).toBe(400);
    expect(body.issue[0].code).toBe('not-found');
    expect(body.issue[0].diagnostics).toMatch(/matched no resource/);
    expect(await countOf('Observation', 'cref-none')).toBe(0);
    expect(await countOf('Patient', 'cref-none-pat')).toBe(0);
  });

  test('a conditional reference matching two resources fails with 412 and stores nothing', async () => {
    await create(patient('cref-twice'));
    await create(patient('cref-twice'));
    const { status, body } = await transaction([
      { resource: observation('cref-two', `Patient?identifier=${sys}|cref-twice`), request: { method: 'POST', url: 'Observation' } },
    ]);
    expect(status).toBe(412);
    expect(body.issue[0].code).toBe('multiple-matches');
    expect(await countOf('Observation', 'cref-two')).toBe(0);
  });
});

describe('atomicity', () => {
  test('an entry failing validation fails the whole transaction, naming the entry and the element', async () => {
    const { status, body } = await transaction([
      { fullUrl: 'urn:uuid:1d1d1d1d-0000-4000-8000-000000000001', resource: patient('atom-valid'), request: { method: 'POST', url: 'Patient' } },
      { resource: { ...observation('atom-obs', 'urn:uuid:1d1d1d1d-0000-4000-8000-000000000001'), status: 'bogus' } as unknown as Observation, request: { method: 'POST', url: 'Observation' } },
    ]);
    expect(status).toBe(400);
    expect(body.resourceType as string).toBe('OperationOutcome');
    const issue = body.issue.find((i) => i.code === 'code-invalid');
    expect(issue?.expression).toEqual(['Bundle.entry[1].resource.status']);
    expect(issue?.diagnostics).toMatch(/Bundle\.entry\[1\].*"bogus"/);
    expect(await countOf('Patient', 'atom-valid')).toBe(0);
    expect(await countOf('Observation', 'atom-obs')).toBe(0);
  });

  test('a stale If-Match fails the whole transaction with 412, undoing the writes before it', async () => {
    const target = await create(patient('atom-412', { gender: 'female' }));
    await srv.client.update({ resourceType: 'Patient', id: target.id as string, body: { ...target, gender: 'other' } });
    const doomed = await create(patient('atom-412-delete'));
    const { status, body } = await transaction([
      { resource: patient('atom-412-new'), request: { method: 'POST', url: 'Patient' } },
      { request: { method: 'DELETE', url: `Patient/${doomed.id}` } },
      { resource: { ...target, gender: 'male' }, request: { method: 'PUT', url: `Patient/${target.id}`, ifMatch: 'W/"1"' } },
    ]);
    expect(status).toBe(412);
    expect(body.resourceType as string).toBe('OperationOutcome');
    expect(body.issue[0].diagnostics).toMatch(/^Bundle\.entry\[2\]/);
    expect(await countOf('Patient', 'atom-412-new')).toBe(0);
    const after = (await srv.client.read({ resourceType: 'Patient', id: target.id as string })) as unknown as Patient;
    expect(after.meta?.versionId).toBe('2');
    expect(after.gender).toBe('other');
    expect((await srv.fetch(`Patient/${doomed.id}`)).status).toBe(200);
  });

  test('If-Match naming the current version is honoured', async () => {
    const target = await create(patient('ifmatch-ok', { gender: 'female' }));
    const { status, body } = await transaction([
      { resource: { ...target, gender: 'male' }, request: { method: 'PUT', url: `Patient/${target.id}`, ifMatch: 'W/"1"' } },
    ]);
    expect(status).toBe(200);
    expect(body.entry?.[0].response?.status).toBe('200 OK');
    expect(body.entry?.[0].response?.etag).toBe('W/"2"');
  });

  test('two entries changing the same resource fail the transaction', async () => {
    const target = await create(patient('overlap'));
    const { status, body } = await transaction([
      { resource: { ...target, gender: 'male' }, request: { method: 'PUT', url: `Patient/${target.id}` } },
      { request: { method: 'DELETE', url: `Patient/${target.id}` } },
    ]);
    expect(status).toBe(400);
    expect(body.issue[0].diagnostics).toMatch(/both change Patient\//);
    const after = (await srv.client.read({ resourceType: 'Patient', id: target.id as string })) as unknown as Patient;
    expect(after.meta?.versionId).toBe('1');
  });
});

describe('processing order', () => {
  test('a GET sees the resource a later POST in the same bundle created', async () => {
    const { status, body } = await transaction([
      { request: { method: 'GET', url: `Patient?identifier=${sys}|order-post` } },
      { resource: patient('order-post'), request: { method: 'POST', url: 'Patient' } },
    ]);
    expect(status).toBe(200);
    const found = body.entry?.[0].resource as Bundle;
    expect(found.type).toBe('searchset');
    expect(found.entry?.map((e) => e.resource?.id)).toEqual([idOf(body.entry?.[1].response?.location)]);
  });

  test('a GET sees the version a later PUT in the same bundle wrote', async () => {
    const p = await create(patient('order-put', { gender: 'female' }));
    const { body } = await transaction([
      { request: { method: 'GET', url: `Patient/${p.id}` } },
      { resource: { ...p, gender: 'male' }, request: { method: 'PUT', url: `Patient/${p.id}` } },
    ]);
    expect((body.entry?.[0].resource as Patient).gender).toBe('male');
    expect(body.entry?.[0].resource?.meta?.versionId).toBe('2');
  });

  test('a DELETE runs before a conditional create of the same criteria', async () => {
    const old = await create(patient('order-delete'));
    const { status, body } = await transaction([
      { resource: patient('order-delete'), request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${sys}|order-delete` } },
      { request: { method: 'DELETE', url: `Patient?identifier=${sys}|order-delete` } },
    ]);
    expect(status).toBe(200);
    expect(body.entry?.[0].response?.status).toBe('201 Created');
    const newId = idOf(body.entry?.[0].response?.location);
    expect(newId).not.toBe(old.id);
    expect(body.entry?.[1].response?.status).toBe('200 OK');
    expect((await search(`Patient?identifier=${sys}|order-delete`)).entry?.map((e) => e.resource?.id)).toEqual([newId]);
    expect((await srv.fetch(`Patient/${old.id}`)).status).toBe(410);
  });
});

describe('conditional writes', () => {
  test('ifNoneExist matching one resource returns it, and references to the entry point at it', async () => {
    const existing = await create(patient('ine-one'));
    const pUrl = 'urn:uuid:2e2e2e2e-0000-4000-8000-000000000001';
    const { status, body } = await transaction([
      { fullUrl: pUrl, resource: patient('ine-one', { gender: 'male' }), request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${sys}|ine-one` } },
      { resource: observation('ine-obs', pUrl), request: { method: 'POST', url: 'Observation' } },
    ]);
    expect(status).toBe(200);
    expect(body.entry?.[0].response?.status).toBe('200 OK');
    expect(body.entry?.[0].response?.location).toBe(`Patient/${existing.id}/_history/1`);
    expect(await countOf('Patient', 'ine-one')).toBe(1);
    const obs = (await search(`Observation?identifier=${sys}|ine-obs`)).entry?.[0].resource as Observation;
    expect(obs.subject?.reference).toBe(`Patient/${existing.id}`);
  });

  test('ifNoneExist matching two resources fails with 412 and stores nothing', async () => {
    await create(patient('ine-two'));
    await create(patient('ine-two'));
    const { status } = await transaction([
      { resource: observation('ine-two-obs', 'Patient/x'), request: { method: 'POST', url: 'Observation' } },
      { resource: patient('ine-two'), request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${sys}|ine-two` } },
    ]);
    expect(status).toBe(412);
    expect(await countOf('Patient', 'ine-two')).toBe(2);
    expect(await countOf('Observation', 'ine-two-obs')).toBe(0);
  });

  test('a conditional PUT creates on no match and updates the match the second time', async () => {
    const put = () => transaction([{ resource: patient('cond-put'), request: { method: 'PUT', url: `Patient?identifier=${sys}|cond-put` } }]);
    const first = await put();
    expect(first.body.entry?.[0].response?.status).toBe('201 Created');
    const second = await put();
    expect(second.body.entry?.[0].response?.status).toBe('200 OK');
    expect(idOf(second.body.entry?.[0].response?.location)).toBe(idOf(first.body.entry?.[0].response?.location));
    expect(second.body.entry?.[0].response?.etag).toBe('W/"2"');
  });
});

describe('PATCH entries', () => {
  test('a Binary with a base64 JSON Patch is applied', async () => {
    const p = await create(patient('patch-ok', { gender: 'female' }));
    const { status, body } = await transaction([patchEntry(`Patient/${p.id}`, [{ op: 'replace', path: '/gender', value: 'male' }])]);
    expect(status).toBe(200);
    expect(body.entry?.[0].response?.status).toBe('200 OK');
    const after = (await srv.client.read({ resourceType: 'Patient', id: p.id as string })) as unknown as Patient;
    expect(after.gender).toBe('male');
    expect(after.meta?.versionId).toBe('2');
  });

  test('a patch whose test fails rolls back the whole transaction', async () => {
    const p = await create(patient('patch-fail', { gender: 'female' }));
    const { status, body } = await transaction([
      { resource: patient('patch-fail-new'), request: { method: 'POST', url: 'Patient' } },
      patchEntry(`Patient/${p.id}`, [{ op: 'test', path: '/gender', value: 'male' }, { op: 'replace', path: '/gender', value: 'other' }]),
    ]);
    expect(status).toBe(422);
    expect(body.resourceType as string).toBe('OperationOutcome');
    expect(await countOf('Patient', 'patch-fail-new')).toBe(0);
    expect(((await srv.client.read({ resourceType: 'Patient', id: p.id as string })) as unknown as Patient).gender).toBe('female');
  });

  test('Binary data that is not base64 JSON is a 400 naming the element', async () => {
    const p = await create(patient('patch-garbage'));
    const { status, body } = await transaction([
      { resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data: 'bm90IGpzb24=' }, request: { method: 'PATCH', url: `Patient/${p.id}` } },
    ]);
    expect(status).toBe(400);
    expect(body.issue[0].expression).toEqual(['Bundle.entry[0].resource.data']);
  });
});

// HL7 Personal Health Device IG example bundles, posted exactly as published.
describe('PHD IG bundles', () => {
  const phd = (file: string) => readFileSync(fileURLToPath(new URL(`../../shared/data/phd-ig-examples/${file}`, import.meta.url)), 'utf8');
  const fixture = (file: string) => readFileSync(fileURLToPath(new URL(`./fixtures/${file}`, import.meta.url)), 'utf8');
  const postRaw = async (server: TestServer, text: string) => {
    const res = await server.fetch('', { method: 'POST', headers: fhirJson, body: text });
    expect(res.status).toBe(200);
    return ((await res.json()) as Bundle).entry as BundleEntry[];
  };
  const total = async (server: TestServer, query: string) => {
    const res = await server.fetch(`${query}&_summary=count`);
    return ((await res.json()) as Bundle).total;
  };
  const phg = `Device?identifier=${encodeURIComponent('urn:oid:1.2.840.10004.1.1.1.0.0.1.0.0.1.2680|4C-4E-49-12-34-56-FF-FF')}`;
  const phdDevice = `Device?identifier=${encodeURIComponent('urn:oid:1.2.840.10004.1.1.1.0.0.1.0.0.1.2680|00-1C-05-04-00-00-78-25')}`;
  const sarah = `Patient?identifier=${encodeURIComponent('urn:oid:2.999.1.2.3.4.5.6.7.8.10|sisansarahId')}`;
  const statuses = (entries: BundleEntry[]) => entries.map((e) => e.response?.status);

  test('bundle-example-1 posted twice: the Devices exist once, the Patient twice', async () => {
    const text = phd('bundle-example-1.json');
    const first = await postRaw(srv, text);
    expect(statuses(first)).toEqual(Array(6).fill('201 Created'));
    const second = await postRaw(srv, text);
    // The Patient's ifNoneExist names system urn:oid:2.9991.2.3.4.5.6.7.8.10 but the Patient's
    // identifier is urn:oid:2.999.1.2.3.4.5.6.7.8.10: the condition cannot match the Patient the
    // first post created, so the second post creates another. The Devices' conditions match.
    expect(statuses(second)).toEqual(['201 Created', '200 OK', '200 OK', '201 Created', '201 Created', '201 Created']);
    expect(second[1].response?.location).toBe(first[1].response?.location);
    expect(second[2].response?.location).toBe(first[2].response?.location);
    expect(idOf(second[0].response?.location)).not.toBe(idOf(first[0].response?.location));
    expect(await total(srv, phg)).toBe(1);
    expect(await total(srv, phdDevice)).toBe(1);
    expect(await total(srv, sarah)).toBe(2);

    // The second post's references point at its own Patient and Observation and at the existing Devices.
    const obs = (await srv.client.read({ resourceType: 'Observation', id: idOf(second[4].response?.location) as string })) as unknown as Observation;
    expect(obs.subject?.reference).toBe(`Patient/${idOf(second[0].response?.location)}`);
    expect(obs.device?.reference).toBe(`Device/${idOf(first[2].response?.location)}`);
    expect(obs.extension?.map((x) => x.valueReference?.reference)).toEqual([
      `Device/${idOf(first[1].response?.location)}`,
      `Observation/${idOf(second[3].response?.location)}`,
    ]);
  });

  test('bundle-continuousnonin: all 47 Observations are stored', async () => {
    const entries = await postRaw(srv, phd('bundle-continuousnonin.json'));
    expect(statuses(entries)).toEqual(Array(47).fill('201 Created'));
    expect(await total(srv, 'Observation?subject=Patient/patientExample-1')).toBe(47);
  });

  test('bundle-example-1 with the Patient condition corrected, posted twice: Patient and Devices exist once', async () => {
    const fresh = await startTestServer();
    try {
      const text = fixture('bundle-example-1.patient-condition-corrected.json');
      const first = await postRaw(fresh, text);
      const second = await postRaw(fresh, text);
      expect(statuses(second)).toEqual(['200 OK', '200 OK', '200 OK', '201 Created', '201 Created', '201 Created']);
      expect(second[0].response?.location).toBe(first[0].response?.location);
      expect(await total(fresh, sarah)).toBe(1);
      expect(await total(fresh, phg)).toBe(1);
      expect(await total(fresh, phdDevice)).toBe(1);
    } finally {
      await fresh.stop();
    }
  });
});
