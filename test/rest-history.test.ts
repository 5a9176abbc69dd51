import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import { startTestServer, type TestServer, call as callServer, type Reply } from './harness.js';

// history at instance, type and system level, with _count paging, _since and _at
// (R4 http.html#history). The server clock is set by the test so every version has a known time.

let now = Date.parse('2024-03-01T10:00:00Z');
let srv: TestServer;


const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => callServer(srv, method, path, body, headers);

const at = (hhmm: string) => Date.parse(`2024-03-01T${hhmm}:00Z`);

/** Runs a write with the server clock at 2024-03-01T{hhmm}:00Z. */
async function writeAt(hhmm: string, method: string, path: string, body?: unknown): Promise<Reply> {
  now = at(hhmm);
  const r = await call(method, path, body);
  expect(r.status).toBeLessThan(300);
  return r;
}

/** From fhir-r4-examples/patient-example.json and observation-example.json, reduced. */
const patient = (id: string, family: string) => ({ resourceType: 'Patient', id, name: [{ family, given: ['Peter', 'James'] }], gender: 'male' });
const weight = (id: string, lbs: number) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '29463-7', display: 'Body Weight' }] },
  subject: { reference: 'Patient/h1' },
  effectiveDateTime: '2016-03-28',
  valueQuantity: { value: lbs, unit: 'lbs', system: 'http://unitsofmeasure.org', code: '[lb_av]' },
});

beforeAll(async () => {
  srv = await startTestServer({}, { clock: () => new Date(now) });
  await writeAt('10:00', 'PUT', 'Patient/h1', patient('h1', 'Chalmers'));
  await writeAt('10:01', 'PUT', 'Observation/o1', weight('o1', 185));
  await writeAt('10:02', 'PUT', 'Patient/h1', patient('h1', 'Windsor'));
  await writeAt('10:03', 'PUT', 'Patient/h2', patient('h2', 'du Marché'));
  await writeAt('10:04', 'DELETE', 'Patient/h1');
  await writeAt('10:05', 'PUT', 'Observation/o1', weight('o1', 186));
  now = at('10:10');
});
afterAll(async () => srv?.stop());

/** "Type/id/vid" for every entry, as the tables below write them. */
const keys = (b: Bundle) => (b.entry ?? []).map((e) => `${e.fullUrl?.slice(srv.baseUrl.length + 1)}/${e.response?.etag?.replace(/\D/g, '')}`);

const all = ['Observation/o1/2', 'Patient/h1/3', 'Patient/h2/1', 'Patient/h1/2', 'Observation/o1/1', 'Patient/h1/1'];

describe('levels', () => {
  test.each([
    ['instance', 'Patient/h1/_history', ['Patient/h1/3', 'Patient/h1/2', 'Patient/h1/1']],
    ['instance of another type', 'Observation/o1/_history', ['Observation/o1/2', 'Observation/o1/1']],
    ['type', 'Patient/_history', ['Patient/h1/3', 'Patient/h2/1', 'Patient/h1/2', 'Patient/h1/1']],
    ['system', '_history', all],
  ])('%s history lists every version, newest first', async (_level, path, expected) => {
    const r = await call('GET', path);
    expect(r.status).toBe(200);
    const b = r.body as Bundle;
    expect(b.resourceType).toBe('Bundle');
    expect(b.type).toBe('history');
    expect(b.total).toBe(expected.length);
    expect(keys(b)).toEqual(expected);
  });

  test('entries carry request, response and the version content', async () => {
    const b = (await call('GET', 'Patient/h1/_history')).body as Bundle;
    const [deleted, v2, v1] = b.entry as BundleEntry[];
    expect(deleted.resource).toBeUndefined();
    expect(deleted.request).toEqual({ method: 'DELETE', url: 'Patient/h1' });
    expect(deleted.response?.lastModified).toBe('2024-03-01T10:04:00.000Z');
    expect(v2.request).toEqual({ method: 'PUT', url: 'Patient/h1' });
    expect(v2.response?.etag).toBe('W/"2"');
    expect(v2.response?.lastModified).toBe('2024-03-01T10:02:00.000Z');
    expect(v2.resource).toMatchObject({ id: 'h1', name: [{ family: 'Windsor' }], meta: { versionId: '2', lastUpdated: '2024-03-01T10:02:00.000Z' } });
    expect(v1.resource).toMatchObject({ id: 'h1', name: [{ family: 'Chalmers' }], meta: { versionId: '1' } });
    expect(v1.fullUrl).toBe(`${srv.baseUrl}/Patient/h1`);
  });

  test('a created resource shows POST on the type', async () => {
    now = at('10:06');
    const created = await call('POST', 'Patient', patient('ignored', 'Posted'));
    now = at('10:10');
    const b = (await call('GET', `Patient/${created.body.id}/_history`)).body as Bundle;
    expect(b.entry?.map((e) => e.request)).toEqual([{ method: 'POST', url: 'Patient' }]);
    expect(b.entry?.[0].response?.status).toMatch(/^201/);
    await call('DELETE', `Patient/${created.body.id}`); // keep the type and system tables above exact
  });

  test.each([
    ['an unknown id', 'Patient/nobody/_history', 404],
    ['an unknown type', 'Patientx/_history', 404],
    ['a _count that is not a number', '_history?_count=many', 400],
    ['a _since that is not a date', '_history?_since=yesterday', 400],
    ['an _at that is not a date', '_history?_at=noon', 400],
  ])('%s is refused', async (_what, path, status) => {
    const r = await call('GET', path);
    expect(r.status).toBe(status);
    expect(r.body.resourceType).toBe('OperationOutcome');
  });
});

describe('_since and _at', () => {
  // Besides the versions written in beforeAll, a POSTed patient exists from 10:06 (deleted at
  // 10:10); system and type level rows below query periods that exclude it.
  test.each([
    ['_since at a version time includes it', 'Observation/_history?_since=2024-03-01T10:01:00Z', ['Observation/o1/2', 'Observation/o1/1']],
    ['_since a millisecond later excludes it', 'Observation/_history?_since=2024-03-01T10:01:00.001Z', ['Observation/o1/2']],
    ['_since on the system', '_history?_since=2024-03-01T10:04:00Z&_at=2024-03-01T10:04', ['Patient/h1/3']],
    ['_since between versions', 'Patient/h1/_history?_since=2024-03-01T10:02:30Z', ['Patient/h1/3']],
    ['_since with an offset', 'Patient/h1/_history?_since=2024-03-01T11:01:30%2B01:00', ['Patient/h1/3', 'Patient/h1/2']],
    ['_since after every version', 'Patient/h1/_history?_since=2024-03-01T10:30:00Z', []],
    ['_at inside the life of version 1', 'Patient/h1/_history?_at=2024-03-01T10:01:30Z', ['Patient/h1/1']],
    ['_at the second version 2 was written', 'Patient/h1/_history?_at=2024-03-01T10:02:00Z', ['Patient/h1/2']],
    ['_at a minute (a period)', 'Patient/h1/_history?_at=2024-03-01T10:02', ['Patient/h1/2']],
    ['_at the whole day', 'Patient/h1/_history?_at=2024-03-01', ['Patient/h1/3', 'Patient/h1/2', 'Patient/h1/1']],
    ['_at before anything existed', 'Patient/h1/_history?_at=2024-03-01T09:00:00Z', []],
    ['_at on the type', 'Patient/_history?_at=2024-03-01T10:03:30Z', ['Patient/h2/1', 'Patient/h1/2']],
    ['_at on the system', '_history?_at=2024-03-01T10:04:30Z', ['Patient/h1/3', 'Patient/h2/1', 'Observation/o1/1']],
  ])('%s', async (_what, path, expected) => {
    const r = await call('GET', path);
    expect(r.status).toBe(200);
    expect(keys(r.body)).toEqual(expected);
    expect(r.body.total).toBe(expected.length);
  });
});

describe('paging', () => {
  test('_count pages follow next links and stay put while new versions are written', async () => {
    const first = (await call('GET', 'Patient/_history?_count=2')).body as Bundle;
    const typeAll = ['Patient/h1/3', 'Patient/h2/1', 'Patient/h1/2', 'Patient/h1/1'];
    // plus the POSTed patient's two versions, newest first
    expect(first.total).toBe(6);
    expect(first.entry).toHaveLength(2);
    const self = first.link?.find((l) => l.relation === 'self');
    expect(self?.url).toContain('_count=2');

    // new resources and versions after the first page
    await writeAt('10:20', 'PUT', 'Patient/h2', patient('h2', 'Later'));
    await writeAt('10:21', 'POST', 'Patient', patient('x', 'Newcomer'));
    now = at('10:30');

    const seen: string[] = [...keys(first)];
    let page = first;
    let pages = 1;
    for (;;) {
      const next = page.link?.find((l) => l.relation === 'next')?.url;
      if (!next) break;
      expect(next.startsWith(`${srv.baseUrl}/Patient/_history?`)).toBe(true);
      const r = await call('GET', next);
      expect(r.status).toBe(200);
      page = r.body as Bundle;
      pages++;
      expect(page.total).toBe(6);
      expect(page.link?.some((l) => l.relation === 'previous')).toBe(true);
      seen.push(...keys(page));
    }
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(6);
    expect(seen.filter((k) => typeAll.includes(k))).toEqual(typeAll);
    expect(seen.some((k) => k === 'Patient/h2/2')).toBe(false);

    // a fresh request sees the new versions first
    const fresh = (await call('GET', 'Patient/_history?_count=2')).body as Bundle;
    expect(fresh.total).toBe(8);
    expect(keys(fresh)[1]).toBe('Patient/h2/2');
  });

  test.each([
    ['_count=0', 'Observation/_history?_count=0'],
    ['an offset past the end', 'Observation/_history?_count=2&_offset=10'],
  ])('%s gives the total, no entries and no next link', async (_what, path) => {
    const b = (await call('GET', path)).body as Bundle;
    expect(b.total).toBe(2);
    expect(b.entry ?? []).toHaveLength(0);
    expect(b.link?.some((l) => l.relation === 'next')).toBe(false);
  });
});
