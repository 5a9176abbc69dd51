import type { Bundle } from '@medplum/fhirtypes';
import { call as callServer, expectOutcome, startTestServer, type TestServer } from './harness.js';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
  for (const [id, text] of [
    ['t-1', 'Blood pressure 100% reliable'],
    ['t-2', 'Body weight'],
  ]) {
    const r = await call('PUT', `Observation/${id}`, { resourceType: 'Observation', id, status: 'final', code: { text } });
    expect(r.status).toBe(201);
  }
});
afterAll(async () => srv?.stop());

const call = (method: string, path: string, body?: unknown) => callServer(srv, method, path, body);
const ids = (b: Bundle) => (b.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource?.id).sort();

test('an unknown _summary is a 400 whether or not anything matches', async () => {
  for (const q of ['Observation?_summary=bogus', 'Observation?_id=nothing-here&_summary=bogus']) {
    const r = await call('GET', q);
    expect([q, r.status]).toEqual([q, 400]);
    expectOutcome(r);
  }
});

test.each([
  ['code:text=blood', ['t-1']],
  ['code:text=BODY', ['t-2']],
  // LIKE wildcards in the value are literal characters, not patterns
  ['code:text=%25', []],
  ['code:text=b_dy', []],
  ['code:text=blood%20pressure%20100%25', ['t-1']],
])('token :text %s', async (q, expected) => {
  const r = await call('GET', `Observation?${q}`);
  expect(r.status).toBe(200);
  expect(ids(r.body as Bundle)).toEqual(expected);
});

test('_summary=true trims to summary elements and marks the result SUBSETTED; _total=accurate counts', async () => {
  const r = await call('GET', 'Observation?_id=t-1&_summary=true&_total=accurate');
  const b = r.body as Bundle;
  expect(b.total).toBe(1);
  const obs = b.entry?.[0].resource as { meta?: { tag?: { code?: string }[] }; code?: unknown };
  expect(obs.code).toBeDefined();
  expect(obs.meta?.tag?.some((t) => t.code === 'SUBSETTED')).toBe(true);
});
