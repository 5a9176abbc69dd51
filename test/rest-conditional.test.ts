import type { Bundle, Patient } from '@medplum/fhirtypes';
import { startTestServer, type TestServer, call as callServer, expectOutcome } from './harness.js';

// Conditional create, update and delete (R4 http.html#ccreate, #cond-update, #cdelete).

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => srv?.stop());


const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => callServer(srv, method, path, body, headers);


const mrn = 'urn:oid:1.2.36.146.595.217.0.1';

/** Based on fhir-r4-examples/patient-example.json: one MRN identifier, an official name. */
const patient = (value: string, family = 'Chalmers', id?: string): Patient => ({
  resourceType: 'Patient',
  ...(id ? { id } : {}),
  identifier: [{ use: 'usual', system: mrn, value }],
  name: [{ use: 'official', family, given: ['Peter', 'James'] }],
  gender: 'male',
});

/** The live resources carrying MRN `value`, through search. */
async function byMrn(value: string): Promise<Patient[]> {
  const b = (await call('GET', `Patient?identifier=${encodeURIComponent(`${mrn}|${value}`)}&_count=100`)).body as Bundle;
  return (b.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource as Patient);
}

const criteria = (value: string) => `identifier=${encodeURIComponent(`${mrn}|${value}`)}`;

describe('conditional create (If-None-Exist)', () => {
  test('no match creates (201), one match returns the existing one (200) and stores nothing', async () => {
    const first = await call('POST', 'Patient', patient('cc-1'), { 'if-none-exist': criteria('cc-1') });
    expect(first.status).toBe(201);
    expect(first.headers.get('location')).toBe(`${srv.baseUrl}/Patient/${first.body.id}/_history/1`);

    const second = await call('POST', 'Patient', patient('cc-1', 'Windsor'), { 'if-none-exist': criteria('cc-1') });
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    expect(second.body.name[0].family).toBe('Chalmers');
    expect(second.headers.get('etag')).toBe('W/"1"');

    const stored = await byMrn('cc-1');
    expect(stored.map((p) => [p.id, p.meta?.versionId, p.name?.[0].family])).toEqual([[first.body.id, '1', 'Chalmers']]);
  });

  test('a match answers per Prefer: return=minimal gives no body but the existing Location', async () => {
    const first = await call('POST', 'Patient', patient('cc-6'), { 'if-none-exist': criteria('cc-6') });
    const again = await call('POST', 'Patient', patient('cc-6'), { 'if-none-exist': criteria('cc-6'), prefer: 'return=minimal' });
    expect(again.status).toBe(200);
    expect(again.text).toBe('');
    expect(again.headers.get('location')).toBe(`${srv.baseUrl}/Patient/${first.body.id}/_history/1`);
    expect(await byMrn('cc-6')).toHaveLength(1);
  });

  test('criteria naming the type ("Patient?...") are accepted', async () => {
    const first = await call('POST', 'Patient', patient('cc-2'), { 'if-none-exist': `Patient?${criteria('cc-2')}` });
    const second = await call('POST', 'Patient', patient('cc-2'), { 'if-none-exist': `Patient?${criteria('cc-2')}` });
    expect([first.status, second.status]).toEqual([201, 200]);
    expect(await byMrn('cc-2')).toHaveLength(1);
  });

  test('several matches are 412 and nothing is stored', async () => {
    await call('POST', 'Patient', patient('cc-3'));
    await call('POST', 'Patient', patient('cc-3'));
    const r = await call('POST', 'Patient', patient('cc-3'), { 'if-none-exist': criteria('cc-3') });
    expect(r.status).toBe(412);
    expectOutcome(r);
    expect(await byMrn('cc-3')).toHaveLength(2);
  });

  test('criteria match on every parameter (AND), not any', async () => {
    await call('POST', 'Patient', patient('cc-4', 'Chalmers'));
    const r = await call('POST', 'Patient', patient('cc-4', 'Windsor'), { 'if-none-exist': `${criteria('cc-4')}&family=Windsor` });
    expect(r.status).toBe(201);
    expect(await byMrn('cc-4')).toHaveLength(2);
  });

  test.each([
    ['an unknown parameter', 'colour=blue'],
    ['a known and an unknown parameter', `${criteria('cc-5')}&colour=blue`],
    ['an unsupported modifier', 'family:sounds-like=Chalmers'],
  ])('%s in the criteria is 400 and nothing is stored', async (_what, q) => {
    const r = await call('POST', 'Patient', patient('cc-5'), { 'if-none-exist': q });
    expect(r.status).toBe(400);
    expectOutcome(r);
    expect(await byMrn('cc-5')).toHaveLength(0);
  });

  test('ten concurrent conditional creates with the same criteria create exactly one resource', async () => {
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => call('POST', 'Patient', patient('cc-race'), { 'if-none-exist': criteria('cc-race') })),
    );
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    const ids = new Set(replies.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    const stored = await byMrn('cc-race');
    expect(stored.map((p) => p.id)).toEqual([...ids]);
    expect(stored[0].meta?.versionId).toBe('1');
  });
});

describe('conditional update (PUT [type]?criteria)', () => {
  test('no match creates, one match updates that resource', async () => {
    const created = await call('PUT', `Patient?${criteria('cu-1')}`, patient('cu-1', 'Chalmers'));
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(id).toBeTruthy();
    expect(created.headers.get('location')).toBe(`${srv.baseUrl}/Patient/${id}/_history/1`);

    const updated = await call('PUT', `Patient?${criteria('cu-1')}`, patient('cu-1', 'Windsor'));
    expect(updated.status).toBe(200);
    expect(updated.body.id).toBe(id);
    expect(updated.body.meta.versionId).toBe('2');
    expect(updated.headers.get('etag')).toBe('W/"2"');

    const withSameId = await call('PUT', `Patient?${criteria('cu-1')}`, patient('cu-1', 'du Marché', id));
    expect(withSameId.status).toBe(200);
    expect(withSameId.body.meta.versionId).toBe('3');

    const stored = await byMrn('cu-1');
    expect(stored.map((p) => [p.id, p.meta?.versionId, p.name?.[0].family])).toEqual([[id, '3', 'du Marché']]);
  });

  test('one match but a different id in the body is 400 and stores nothing', async () => {
    const created = await call('PUT', `Patient?${criteria('cu-2')}`, patient('cu-2'));
    const r = await call('PUT', `Patient?${criteria('cu-2')}`, patient('cu-2', 'Windsor', 'someone-else'));
    expect(r.status).toBe(400);
    expectOutcome(r);
    const stored = await byMrn('cu-2');
    expect(stored.map((p) => [p.id, p.meta?.versionId])).toEqual([[created.body.id, '1']]);
    expect((await call('GET', 'Patient/someone-else')).status).toBe(404);
  });

  test('no match with an id in the body creates with that id', async () => {
    const r = await call('PUT', `Patient?${criteria('cu-3')}`, patient('cu-3', 'Chalmers', 'cu-3-id'));
    expect(r.status).toBe(201);
    expect(r.body.id).toBe('cu-3-id');
    expect((await call('GET', 'Patient/cu-3-id')).status).toBe(200);
  });

  test('no match with the id of a live resource the criteria did not select is 409', async () => {
    await call('PUT', 'Patient/cu-7-id', patient('cu-7-other', 'Chalmers', 'cu-7-id'));
    const r = await call('PUT', `Patient?${criteria('cu-7')}`, patient('cu-7', 'Windsor', 'cu-7-id'));
    expect(r.status).toBe(409);
    expectOutcome(r);
    const stored = await call('GET', 'Patient/cu-7-id');
    expect(stored.body.meta.versionId).toBe('1');
    expect(stored.body.identifier[0].value).toBe('cu-7-other');
  });

  test('several matches are 412 and nothing changes', async () => {
    await call('POST', 'Patient', patient('cu-4', 'A'));
    await call('POST', 'Patient', patient('cu-4', 'B'));
    const r = await call('PUT', `Patient?${criteria('cu-4')}`, patient('cu-4', 'C'));
    expect(r.status).toBe(412);
    expectOutcome(r);
    const stored = await byMrn('cu-4');
    expect(stored.map((p) => p.name?.[0].family).sort()).toEqual(['A', 'B']);
    expect(stored.every((p) => p.meta?.versionId === '1')).toBe(true);
  });

  test('an unknown parameter in the criteria is 400 and nothing is stored', async () => {
    const r = await call('PUT', `Patient?${criteria('cu-5')}&colour=blue`, patient('cu-5'));
    expect(r.status).toBe(400);
    expectOutcome(r);
    expect(await byMrn('cu-5')).toHaveLength(0);
  });

  test('PUT on the type with no criteria is 400', async () => {
    const r = await call('PUT', 'Patient', patient('cu-6'));
    expect(r.status).toBe(400);
    expect(await byMrn('cu-6')).toHaveLength(0);
  });

  test('ten concurrent conditional updates with no match create one resource and update it nine times', async () => {
    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, i) => call('PUT', `Patient?${criteria('cu-race')}`, patient('cu-race', `F${i}`))),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    expect(replies.map((r) => Number(r.body.meta.versionId)).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const stored = await byMrn('cu-race');
    expect(stored).toHaveLength(1);
    expect(stored[0].meta?.versionId).toBe('10');
  });
});

describe('conditional delete (DELETE [type]?criteria)', () => {
  test('one match is deleted', async () => {
    const created = await call('POST', 'Patient', patient('cd-1'));
    const r = await call('DELETE', `Patient?${criteria('cd-1')}`);
    expect([200, 204]).toContain(r.status);
    expect((await call('GET', `Patient/${created.body.id}`)).status).toBe(410);
    expect(await byMrn('cd-1')).toHaveLength(0);
  });

  test('no match is a success that deletes nothing', async () => {
    const other = await call('POST', 'Patient', patient('cd-2-other'));
    const r = await call('DELETE', `Patient?${criteria('cd-2')}`);
    expect([200, 204]).toContain(r.status);
    expect((await call('GET', `Patient/${other.body.id}`)).status).toBe(200);
  });

  test('several matches are 412 and nothing is deleted', async () => {
    await call('POST', 'Patient', patient('cd-3', 'A'));
    await call('POST', 'Patient', patient('cd-3', 'B'));
    const r = await call('DELETE', `Patient?${criteria('cd-3')}`);
    expect(r.status).toBe(412);
    expectOutcome(r);
    expect(await byMrn('cd-3')).toHaveLength(2);
  });

  test.each([
    ['an unknown parameter', 'cd-4a', `${criteria('cd-4a')}&colour=blue`],
    ['only an unknown parameter', 'cd-4b', 'colour=blue'],
    ['no criteria at all', 'cd-4c', ''],
  ])('%s is 400 and nothing is deleted', async (_what, value, q) => {
    await call('POST', 'Patient', patient(value));
    const r = await call('DELETE', q ? `Patient?${q}` : 'Patient');
    expect(r.status).toBe(400);
    expectOutcome(r);
    expect(await byMrn(value)).toHaveLength(1);
  });
});
