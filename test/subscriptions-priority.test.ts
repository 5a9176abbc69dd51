import { call, eventually, put } from './harness.js';
import { AlertingServer, glucose, patientWithTeam } from './alert-people.js';
import { HookReceiver } from './hook-receiver.js';

// An alert is not held up by other work. Here a rest-hook endpoint takes every sending slot of the
// endpoints' lane and answers none of them, and the routine notifications left waiting for a slot
// are more than the backlog the main matching pass allows (5 here): that pass waits, leaving new
// events in the outbox, yet an emergency reading must still raise its alert at once, and
// everything held must go out once the endpoint answers.

const server = new AlertingServer();
const slow = new HookReceiver();
let release: () => void = () => undefined;
const answered = new Promise<number>((resolve) => (release = () => resolve(200)));

beforeAll(async () => {
  await slow.start();
  slow.respond = () => answered;
  await server.start({ SUBSCRIPTION_TIMEOUT_MS: '60000', SUBSCRIPTION_ROUTINE_BACKLOG: '5' });
});

afterAll(async () => {
  release();
  await server.stop();
  await slow.stop();
});

test('an emergency reading raises its alert while every sending slot of the endpoints is taken and the main matching pass waits', async () => {
  const { srv } = server;
  const p = await patientWithTeam(srv);
  const bystander = `bystander-${p.tag}`;
  await put(srv, { resourceType: 'Patient', id: bystander });
  const created = await call(srv, 'POST', 'Subscription', {
    resourceType: 'Subscription',
    status: 'requested',
    reason: 'a slow integration',
    // the readings only: the bots' aggregates of them are not for this endpoint
    criteria: `Observation?subject=Patient/${bystander}&category:not=https://serium.dev/fhir/CodeSystem/observation-category|aggregate`,
    channel: { type: 'rest-hook', endpoint: slow.url() },
  });
  expect(created.status).toBe(201);
  await eventually(async () => (await call(srv, 'GET', `Subscription/${created.body.id}`)).body.status === 'active');

  // 60 notifications for the slow endpoint: 50 are sent and held, 10 wait for a slot
  const entries = Array.from({ length: 60 }, (_, i) => ({
    resource: glucose(bystander, 100 + i, `2026-11-20T0${Math.floor(i / 10)}:${String((i % 10) * 5).padStart(2, '0')}:00Z`),
    request: { method: 'POST', url: 'Observation' },
  }));
  expect((await call(srv, 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry: entries })).status).toBe(200);
  await eventually(async () => slow.received.length >= 50);
  const events = async () =>
    Number((await call(srv, 'GET', `Subscription/${created.body.id}/$status`)).body.entry[0].resource.parameter.find((p: any) => p.name === 'events-since-subscription-start').valueString);
  expect(await events()).toBe(60);

  // ten notifications wait for a slot, over the backlog of 5: a further reading is not matched yet
  await call(srv, 'POST', 'Observation', glucose(bystander, 99, '2026-11-20T07:00:00Z'));

  await call(srv, 'POST', 'Observation', glucose(p.patient, 40, '2026-11-20T12:00:00Z'));
  const issue = await eventually(async () => (await call(srv, 'GET', `DetectedIssue?patient=Patient/${p.patient}`)).body.entry?.[0]?.resource, 10_000);
  expect(issue.severity).toBe('high');
  // nothing was answered meanwhile: the alert did not wait for a routine slot
  expect(slow.received.length).toBe(50);
  expect(await events()).toBe(60);

  release();
  await eventually(async () => slow.received.length === 61, 20_000);
  expect(await events()).toBe(61);
  const paths = new Set(slow.received.map((r) => r.headers['x-serium-event-number']));
  expect(paths.size).toBe(61);
});
