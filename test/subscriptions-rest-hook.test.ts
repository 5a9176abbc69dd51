import { createHmac } from 'node:crypto';
import { call, eventually, startTestServer, type TestServer, withoutBots } from './harness.js';
import { HookReceiver } from './hook-receiver.js';

// R4 rest-hook Subscriptions end to end: a Subscription created over REST is activated, a
// matching write reaches a real HTTP endpoint (retried with backoff while it fails), and after its
// maximum attempts the Subscription turns to error and the notification waits for $replay.

let srv: TestServer;
const hook = new HookReceiver();

beforeAll(async () => {
  await hook.start();
  srv = await startTestServer({
    ...withoutBots, SUBSCRIPTIONS: 'on',
    SUBSCRIPTION_POLL_MS: '50',
    SUBSCRIPTION_RETRY_BASE_MS: '100',
    SUBSCRIPTION_MAX_ATTEMPTS: '3',
  });
});

afterAll(async () => {
  await srv?.stop();
  await hook.stop();
});

const heartRate = (patient: string, value: number, code = '8867-4') => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code }] },
  subject: { reference: `Patient/${patient}` },
  effectiveDateTime: '2026-11-21T08:00:00Z',
  valueQuantity: { value, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
});

async function subscribe(path: string, extra: Record<string, unknown> = {}, channel: Record<string, unknown> = {}): Promise<string> {
  const r = await call(srv, 'POST', 'Subscription', {
    resourceType: 'Subscription',
    status: 'requested',
    reason: 'test',
    criteria: `Observation?code=http://loinc.org|8867-4&subject=Patient/${path}`,
    channel: { type: 'rest-hook', endpoint: hook.url(`/${path}`), ...channel },
    ...extra,
  });
  expect(r.status).toBe(201);
  return r.body.id;
}

const statusOf = async (id: string) => (await call(srv, 'GET', `Subscription/${id}`)).body;
const to = (path: string) => hook.received.filter((r) => r.path.startsWith(`/${path}`));

test('a matching write is sent once, as an update with the resource, its headers and an HMAC signature', async () => {
  const id = await subscribe(
    'p1',
    { extension: [{ url: 'https://serium.dev/fhir/StructureDefinition/subscription-secret', valueString: 's3cret' }] },
    { payload: 'application/fhir+json', header: ['Authorization: Bearer abc-123'] },
  );
  expect((await eventually(async () => ((await statusOf(id)).status === 'active' ? 'active' : undefined))) ).toBe('active');
  const created = await call(srv, 'POST', 'Observation', heartRate('p1', 72));
  await call(srv, 'POST', 'Observation', heartRate('p1', 20, '8310-5')); // another code: no match
  await call(srv, 'POST', 'Observation', heartRate('p2', 72)); // another patient: no match
  const [got] = await eventually(async () => (to('p1').length ? to('p1') : undefined));
  await new Promise((r) => setTimeout(r, 400));
  expect(to('p1')).toHaveLength(1);
  expect(got.method).toBe('PUT');
  expect(got.path).toBe(`/p1/Observation/${created.body.id}`);
  expect(JSON.parse(got.body)).toMatchObject({ id: created.body.id, valueQuantity: { value: 72 } });
  expect(got.headers.authorization).toBe('Bearer abc-123');
  expect(got.headers['content-type']).toMatch(/^application\/fhir\+json/);
  expect(got.headers['x-serium-event-number']).toBe('1');
  const expected = createHmac('sha256', 's3cret').update(`${got.headers['x-serium-timestamp']}.${got.body}`).digest('hex');
  expect(got.headers['x-serium-signature']).toBe(`sha256=${expected}`);
});

test('without a payload the endpoint gets an empty POST; event numbers count up', async () => {
  const id = await subscribe('p3');
  await eventually(async () => (await statusOf(id)).status === 'active');
  await call(srv, 'POST', 'Observation', heartRate('p3', 60));
  await call(srv, 'POST', 'Observation', heartRate('p3', 61));
  const got = await eventually(async () => (to('p3').length >= 2 ? to('p3') : undefined));
  expect(got.map((r) => [r.method, r.path, r.body])).toEqual([
    ['POST', '/p3', ''],
    ['POST', '/p3', ''],
  ]);
  expect(got.map((r) => r.headers['x-serium-event-number']).sort()).toEqual(['1', '2']);
});

test('a failing endpoint is retried with growing delays until it answers', async () => {
  const id = await subscribe('p4');
  await eventually(async () => (await statusOf(id)).status === 'active');
  let failures = 2;
  hook.respond = (r) => (r.path.startsWith('/p4') && failures-- > 0 ? 503 : 200);
  await call(srv, 'POST', 'Observation', heartRate('p4', 88));
  const got = await eventually(async () => (to('p4').length >= 3 ? to('p4') : undefined), 10_000);
  expect(got).toHaveLength(3);
  // the second wait is about twice the first (100 ms, then 200 ms, with 20 % jitter)
  const gaps = [got[1].at - got[0].at, got[2].at - got[1].at];
  expect(gaps[0]).toBeGreaterThanOrEqual(70);
  expect(gaps[1]).toBeGreaterThan(gaps[0] * 1.2);
  expect((await statusOf(id)).status).toBe('active');
  hook.respond = () => 200;
});

test('after its maximum attempts the Subscription is in error; $replay sends the notification once it is active again', async () => {
  const id = await subscribe('p5');
  await eventually(async () => (await statusOf(id)).status === 'active');
  hook.respond = (r) => (r.path.startsWith('/p5') ? 500 : 200);
  await call(srv, 'POST', 'Observation', heartRate('p5', 99));
  const failed = await eventually(async () => {
    const s = await statusOf(id);
    return s.status === 'error' ? s : undefined;
  }, 10_000);
  expect(failed.error).toMatch(/failed 3 times; last: .*answered 500/);
  expect(to('p5')).toHaveLength(3);

  // an event while in error is numbered and kept, not sent
  await call(srv, 'POST', 'Observation', heartRate('p5', 101));
  await new Promise((r) => setTimeout(r, 400));
  expect(to('p5')).toHaveLength(3);

  hook.respond = () => 200;
  expect((await call(srv, 'PUT', `Subscription/${id}`, { ...failed, status: 'active', error: undefined })).status).toBe(200);
  const replay = await call(srv, 'POST', `Subscription/${id}/$replay`, { resourceType: 'Parameters' });
  expect(replay.status).toBe(200);
  expect(replay.body.parameter[0]).toEqual({ name: 'requeued', valueInteger: 2 });
  await eventually(async () => (to('p5').length === 5 ? true : undefined));
  expect(to('p5').slice(3).map((r) => r.headers['x-serium-event-number']).sort()).toEqual(['1', '2']);
});

test.each([
  ['an unsupported channel', { channel: { type: 'sms', endpoint: 'tel:+1555' } }, /channel type sms is not supported/],
  ['criteria that is not a search', { criteria: 'not a search' }, /criteria must be a search URL/],
  ['criteria with an unknown parameter', { criteria: 'Observation?no-such-param=1' }, /criteria cannot be searched/],
])('a Subscription with %s turns to error, saying why', async (_name, change, message) => {
  const r = await call(srv, 'POST', 'Subscription', {
    resourceType: 'Subscription',
    status: 'requested',
    reason: 'test',
    criteria: 'Observation?code=http://loinc.org|8867-4',
    channel: { type: 'rest-hook', endpoint: hook.url('/bad') },
    ...change,
  });
  expect(r.status).toBe(201);
  const s = await eventually(async () => {
    const now = await statusOf(r.body.id);
    return now.status === 'error' ? now : undefined;
  });
  expect(s.error).toMatch(message);
});
