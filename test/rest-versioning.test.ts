import type { Bundle, Patient } from '@medplum/fhirtypes';
import { startTestServer, type TestServer, call as callServer, expectOutcome, type Reply } from './harness.js';

// vread, version-aware update (If-Match), delete and conditional read (R4 http.html#vread,
// #concurrency, #delete, #cread).

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => srv?.stop());


const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => callServer(srv, method, path, body, headers);


/** From fhir-r4-examples/patient-example.json, reduced. */
const patient = (id: string, family: string): Patient => ({
  resourceType: 'Patient',
  id,
  name: [{ use: 'official', family, given: ['Peter', 'James'] }],
  gender: 'male',
  birthDate: '1974-12-25',
});

/** Creates `id` with one version per family name given. */
async function withVersions(id: string, families: string[]): Promise<Reply[]> {
  const out: Reply[] = [];
  for (const f of families) out.push(await call('PUT', `Patient/${id}`, patient(id, f)));
  return out;
}

describe('vread', () => {
  test('every version stays readable with its own content, ETag and Last-Modified', async () => {
    const families = ['Chalmers', 'Windsor', 'du Marché'];
    const writes = await withVersions('vr-1', families);
    expect(writes.map((w) => w.status)).toEqual([201, 200, 200]);
    for (const [i, family] of families.entries()) {
      const r = await call('GET', `Patient/vr-1/_history/${i + 1}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('etag')).toBe(`W/"${i + 1}"`);
      expect(Date.parse(r.headers.get('last-modified') as string)).toBe(
        Math.floor(Date.parse(writes[i].body.meta.lastUpdated) / 1000) * 1000,
      );
      expect(r.body.meta.versionId).toBe(String(i + 1));
      expect(r.body.name[0].family).toBe(family);
      expect(r.body).toEqual(writes[i].body);
    }
  });

  test.each([
    ['an unknown version', 'Patient/vr-2/_history/4'],
    ['version 0', 'Patient/vr-2/_history/0'],
    ['a version that is not a number', 'Patient/vr-2/_history/abc'],
    ['a version of an unknown id', 'Patient/vr-none/_history/1'],
  ])('%s is 404 with an OperationOutcome', async (_what, path) => {
    await withVersions('vr-2', ['A', 'B', 'C']);
    const r = await call('GET', path);
    expect(r.status).toBe(404);
    expectOutcome(r, 'not-found');
  });
});

describe('If-Match (version-aware update and delete)', () => {
  test('update with the current version succeeds; with a stale one is 412 and stores nothing', async () => {
    await withVersions('im-1', ['A', 'B']);
    const stale = await call('PUT', 'Patient/im-1', patient('im-1', 'Stale'), { 'if-match': 'W/"1"' });
    expect(stale.status).toBe(412);
    expectOutcome(stale);
    const unchanged = await call('GET', 'Patient/im-1');
    expect(unchanged.body.meta.versionId).toBe('2');
    expect(unchanged.body.name[0].family).toBe('B');

    const ok = await call('PUT', 'Patient/im-1', patient('im-1', 'C'), { 'if-match': 'W/"2"' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('etag')).toBe('W/"3"');
    expect((await call('GET', 'Patient/im-1')).body.name[0].family).toBe('C');
    expect((await call('GET', 'Patient/im-1/_history/4')).status).toBe(404);
  });

  test('concurrent updates with the same If-Match: one wins, the others are 412', async () => {
    await withVersions('im-race', ['A']);
    const replies = await Promise.all(
      Array.from({ length: 8 }, (_, i) => call('PUT', 'Patient/im-race', patient('im-race', `R${i}`), { 'if-match': 'W/"1"' })),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([200, 412, 412, 412, 412, 412, 412, 412]);
    const winner = replies.find((r) => r.status === 200) as Reply;
    const stored = await call('GET', 'Patient/im-race');
    expect(stored.body.meta.versionId).toBe('2');
    expect(stored.body.name[0].family).toBe(winner.body.name[0].family);
  });

  test('concurrent updates without If-Match all land, each as its own version', async () => {
    const replies = await Promise.all(Array.from({ length: 8 }, (_, i) => call('PUT', 'Patient/race-2', patient('race-2', `R${i}`))));
    expect(replies.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    expect(replies.map((r) => Number(r.body.meta.versionId)).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(((await call('GET', 'Patient/race-2/_history')).body as Bundle).total).toBe(8);
  });

  test('If-Match on an id that does not exist is 412 and creates nothing', async () => {
    const r = await call('PUT', 'Patient/im-none', patient('im-none', 'A'), { 'if-match': 'W/"1"' });
    expect(r.status).toBe(412);
    expect((await call('GET', 'Patient/im-none')).status).toBe(404);
  });

  test('a malformed If-Match is 400', async () => {
    await withVersions('im-2', ['A']);
    const r = await call('PUT', 'Patient/im-2', patient('im-2', 'B'), { 'if-match': 'version one' });
    expect(r.status).toBe(400);
    expect((await call('GET', 'Patient/im-2')).body.meta.versionId).toBe('1');
  });

  test('delete with a stale If-Match is 412 and deletes nothing', async () => {
    await withVersions('im-3', ['A', 'B']);
    const r = await call('DELETE', 'Patient/im-3', undefined, { 'if-match': 'W/"1"' });
    expect(r.status).toBe(412);
    expect((await call('GET', 'Patient/im-3')).status).toBe(200);
    const ok = await call('DELETE', 'Patient/im-3', undefined, { 'if-match': 'W/"2"' });
    expect(ok.status).toBe(200);
    expect((await call('GET', 'Patient/im-3')).status).toBe(410);
  });
});

describe('delete', () => {
  test('delete, then 410 on read, old versions kept, history shows the deletion, update recreates', async () => {
    await withVersions('del-1', ['A', 'B']);
    const del = await call('DELETE', 'Patient/del-1');
    expect([200, 204]).toContain(del.status);
    if (del.status === 200) expect(del.body.resourceType).toBe('OperationOutcome');

    const gone = await call('GET', 'Patient/del-1');
    expect(gone.status).toBe(410);
    expectOutcome(gone);

    for (const [vid, family] of [['1', 'A'], ['2', 'B']]) {
      const v = await call('GET', `Patient/del-1/_history/${vid}`);
      expect(v.status).toBe(200);
      expect(v.body.name[0].family).toBe(family);
    }
    // the deletion itself is version 3; reading it answers 410
    expect((await call('GET', 'Patient/del-1/_history/3')).status).toBe(410);

    const history = (await call('GET', 'Patient/del-1/_history')).body as Bundle;
    expect(history.type).toBe('history');
    expect(history.entry?.map((e) => e.request?.method)).toEqual(['DELETE', 'PUT', 'PUT']);
    expect(history.entry?.[0].resource).toBeUndefined();
    expect(history.entry?.[0].request?.url).toBe('Patient/del-1');
    expect(history.entry?.[0].response?.etag).toBe('W/"3"');

    // search no longer finds it
    const search = (await call('GET', 'Patient?_id=del-1')).body as Bundle;
    expect(search.entry?.filter((e) => e.search?.mode === 'match') ?? []).toHaveLength(0);

    // deleting again is harmless and writes no version
    const again = await call('DELETE', 'Patient/del-1');
    expect([200, 204]).toContain(again.status);
    expect(((await call('GET', 'Patient/del-1/_history')).body as Bundle).entry).toHaveLength(3);

    // an update brings it back; the version number continues
    const back = await call('PUT', 'Patient/del-1', patient('del-1', 'C'));
    expect([200, 201]).toContain(back.status);
    expect(back.body.meta.versionId).toBe('4');
    expect(back.headers.get('etag')).toBe('W/"4"');
    const read = await call('GET', 'Patient/del-1');
    expect(read.status).toBe(200);
    expect(read.body.name[0].family).toBe('C');
    const search2 = (await call('GET', 'Patient?_id=del-1')).body as Bundle;
    expect(search2.entry?.map((e) => e.resource?.id)).toEqual(['del-1']);
  });

  test('deleting an id that never existed is not an error', async () => {
    const r = await call('DELETE', 'Patient/never-was');
    expect([200, 204]).toContain(r.status);
    expect((await call('GET', 'Patient/never-was')).status).toBe(404);
    expect((await call('GET', 'Patient/never-was/_history')).status).toBe(404);
  });

  test('the deleted resource 410 carries the deletion version ETag', async () => {
    await withVersions('del-2', ['A']);
    await call('DELETE', 'Patient/del-2');
    const r = await call('GET', 'Patient/del-2');
    expect(r.status).toBe(410);
    expect(r.headers.get('etag')).toBe('W/"2"');
  });
});

describe('conditional read', () => {
  let lastModified: string;
  beforeAll(async () => {
    await withVersions('cr-1', ['A', 'B']);
    lastModified = (await call('GET', 'Patient/cr-1')).headers.get('last-modified') as string;
  });

  const future = new Date(Date.now() + 86400000).toUTCString();
  const past = new Date('2000-01-01T00:00:00Z').toUTCString();
  test.each([
    ['If-None-Match with the current ETag', 304, () => ({ 'if-none-match': 'W/"2"' })],
    ['If-None-Match with an older ETag', 200, () => ({ 'if-none-match': 'W/"1"' })],
    ['If-None-Match with a list holding the current ETag', 304, () => ({ 'if-none-match': 'W/"1", W/"2"' })],
    ['If-None-Match: *', 304, () => ({ 'if-none-match': '*' })],
    ['If-Modified-Since in the future', 304, () => ({ 'if-modified-since': future })],
    ['If-Modified-Since equal to Last-Modified', 304, () => ({ 'if-modified-since': lastModified })],
    ['If-Modified-Since a second before Last-Modified', 200, () => ({ 'if-modified-since': new Date(Date.parse(lastModified) - 1000).toUTCString() })],
    ['If-Modified-Since in the past', 200, () => ({ 'if-modified-since': past })],
    ['If-None-Match older, If-Modified-Since future (If-None-Match wins)', 200, () => ({ 'if-none-match': 'W/"1"', 'if-modified-since': future })],
  ])('%s → %i', async (_what, status, headers) => {
    const r = await call('GET', 'Patient/cr-1', undefined, headers());
    expect(r.status).toBe(status);
    expect(r.headers.get('etag')).toBe('W/"2"');
    if (status === 304) expect(r.text).toBe('');
    else expect(r.body.name[0].family).toBe('B');
  });

  test('a conditional read of a deleted resource is still 410', async () => {
    await withVersions('cr-2', ['A']);
    await call('DELETE', 'Patient/cr-2');
    const r = await call('GET', 'Patient/cr-2', undefined, { 'if-none-match': 'W/"1"' });
    expect(r.status).toBe(410);
  });
});
