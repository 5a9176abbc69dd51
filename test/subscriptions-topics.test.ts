import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { call, eventually, startTestServer, type TestServer, withoutBots } from './harness.js';
import { HookReceiver, type Received } from './hook-receiver.js';
import { testDataDir } from './test-data.js';

// Topic-based Subscriptions of the Subscriptions R5 Backport IG on R4: topics advertised, filter
// criteria, the handshake, notification Bundles at each payload level (compared with the IG test
// kit's golden shapes), heartbeats, $status and $events.

const examples = join(testDataDir(), 'subscriptions-backport-examples');
const golden = (file: string) => JSON.parse(readFileSync(join(examples, file), 'utf8'));
const ig = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
const topic = 'https://serium.dev/fhir/SubscriptionTopic/observation-recorded';

let srv: TestServer;
const hook = new HookReceiver();

beforeAll(async () => {
  await hook.start();
  srv = await startTestServer({ ...withoutBots, SUBSCRIPTIONS: 'on', SUBSCRIPTION_POLL_MS: '50' });
});

afterAll(async () => {
  await srv?.stop();
  await hook.stop();
});

/** The IG's example Subscription of this payload level, pointed at this server's topic and the local endpoint. */
async function subscribe(level: 'empty' | 'id-only' | 'full-resource', path: string, filter: string, heartbeat?: number): Promise<string> {
  const s = golden(`Subscription_${level}.json`);
  delete s.end;
  s.criteria = topic;
  s._criteria = { extension: [{ url: `${ig}/backport-filter-criteria`, valueString: filter }] };
  s.channel.endpoint = hook.url(`/${path}`);
  if (heartbeat) s.channel.extension = [...(s.channel.extension ?? []), { url: `${ig}/backport-heartbeat-period`, valueUnsignedInt: heartbeat }];
  const r = await call(srv, 'POST', 'Subscription', s);
  expect(r.status).toBe(201);
  return r.body.id;
}

const bundles = (path: string) => hook.received.filter((r) => r.path === `/${path}`).map((r: Received) => JSON.parse(r.body));
const param = (b: any, name: string) => b.entry[0].resource.parameter.find((p: any) => p.name === name);
const observation = (patient: string) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
  subject: { reference: `Patient/${patient}` },
  effectiveDateTime: '2026-11-21T08:00:00Z',
  valueQuantity: { value: 70, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
});
/** The shape of a Bundle: its type, and for each entry the keys it has and the parameter names of a Parameters. */
const shape = (b: any) => ({
  type: b.type,
  profile: b.meta?.profile,
  entries: b.entry.map((e: any) => ({
    keys: Object.keys(e).sort(),
    params: e.resource?.resourceType === 'Parameters' ? e.resource.parameter.map((p: any) => p.name) : undefined,
    events: e.resource?.resourceType === 'Parameters' ? e.resource.parameter.filter((p: any) => p.name === 'notification-event').map((p: any) => p.part.map((x: any) => x.name)) : undefined,
  })),
});

test('the CapabilityStatement advertises the topics', async () => {
  const cs = (await call(srv, 'GET', 'metadata')).body;
  const subscription = cs.rest[0].resource.find((r: any) => r.type === 'Subscription');
  const topics = subscription.extension.filter((e: any) => e.url === `${ig}/capabilitystatement-subscriptiontopic-canonical`).map((e: any) => e.valueCanonical);
  expect(topics).toEqual(expect.arrayContaining([topic, 'https://serium.dev/fhir/SubscriptionTopic/alert-raised']));
  expect(subscription.operation.map((o: any) => o.name)).toEqual(expect.arrayContaining(['status', 'events', 'replay']));
});

test('id-only: handshake, then one notification per matching write, shaped like the IG examples; $status and $events agree', async () => {
  const id = await subscribe('id-only', 'ids', 'Observation.patient=Patient/t1');
  const [handshake] = await eventually(async () => (bundles('ids').length ? bundles('ids') : undefined));
  expect(shape(handshake)).toEqual(shape(golden('handshake_bundle_example.json')));
  expect(param(handshake, 'type').valueCode).toBe('handshake');
  await eventually(async () => (await call(srv, 'GET', `Subscription/${id}`)).body.status === 'active');

  const created = await call(srv, 'POST', 'Observation', observation('t1'));
  await call(srv, 'POST', 'Observation', observation('other')); // filtered out
  const [, event] = await eventually(async () => (bundles('ids').length >= 2 ? bundles('ids') : undefined));
  await new Promise((r) => setTimeout(r, 300));
  expect(bundles('ids')).toHaveLength(2);
  expect(shape(event)).toEqual(shape(golden('id_only_notification_bundle_example.json')));
  expect(param(event, 'subscription').valueReference.reference).toBe(`${srv.baseUrl}/Subscription/${id}`);
  expect(param(event, 'topic').valueCanonical).toBe(topic);
  expect(param(event, 'events-since-subscription-start').valueString).toBe('1');
  const focus = param(event, 'notification-event').part.find((p: any) => p.name === 'focus');
  expect(focus.valueReference.reference).toBe(`${srv.baseUrl}/Observation/${created.body.id}`);
  expect(event.entry[1]).toEqual({ fullUrl: `${srv.baseUrl}/Observation/${created.body.id}`, request: { method: 'POST', url: 'Observation' }, response: { status: '201' } });

  const status = (await call(srv, 'GET', `Subscription/${id}/$status`)).body;
  expect(status.type).toBe('searchset');
  const statusParams = status.entry[0].resource.parameter;
  expect(statusParams.find((p: any) => p.name === 'type').valueCode).toBe('query-status');
  expect(statusParams.find((p: any) => p.name === 'status').valueCode).toBe('active');
  expect(statusParams.find((p: any) => p.name === 'events-since-subscription-start').valueString).toBe('1');

  const events = (await call(srv, 'GET', `Subscription/${id}/$events?eventsSinceNumber=1&content=full-resource`)).body;
  expect(param(events, 'type').valueCode).toBe('query-event');
  expect(events.entry[1].resource.id).toBe(created.body.id);
  expect((await call(srv, 'GET', `Subscription/${id}/$events?content=everything`)).status).toBe(400);

  // asked for again (requested), it gets a new handshake and comes back active
  const now = (await call(srv, 'GET', `Subscription/${id}`)).body;
  expect((await call(srv, 'PUT', `Subscription/${id}`, { ...now, status: 'requested' })).status).toBe(200);
  await eventually(async () => bundles('ids').filter((b) => param(b, 'type').valueCode === 'handshake').length === 2);
  await eventually(async () => (await call(srv, 'GET', `Subscription/${id}`)).body.status === 'active');
});

test('full-resource carries the resource, empty carries neither focus nor entries', async () => {
  await subscribe('full-resource', 'full', 'patient=Patient/t2');
  await subscribe('empty', 'empty', 'patient=Patient/t2');
  await eventually(async () => bundles('full').length >= 1 && bundles('empty').length >= 1);
  await new Promise((r) => setTimeout(r, 200)); // both activated after their handshakes
  const created = await call(srv, 'POST', 'Observation', observation('t2'));
  const full = (await eventually(async () => (bundles('full').length >= 2 ? bundles('full') : undefined)))[1];
  const empty = (await eventually(async () => (bundles('empty').length >= 2 ? bundles('empty') : undefined)))[1];
  expect(shape(full)).toEqual(shape(golden('full_resource_notification_bundle_example.json')));
  expect(full.entry[1].resource).toMatchObject({ resourceType: 'Observation', id: created.body.id });
  expect(shape(empty)).toEqual(shape(golden('empty_notification_bundle_example.json')));
  expect(empty.entry).toHaveLength(1);
});

test('an idle channel gets heartbeats', async () => {
  await subscribe('empty', 'beat', 'patient=Patient/t3', 1);
  const beats = await eventually(async () => {
    const got = bundles('beat').filter((b) => param(b, 'type').valueCode === 'heartbeat');
    return got.length >= 2 ? got : undefined;
  }, 10_000);
  expect(shape(beats[0])).toEqual(shape(golden('heartbeat_bundle_example.json')));
});

test('a filter the topic does not offer puts the Subscription in error', async () => {
  const id = await subscribe('id-only', 'bad', 'Observation.value-quantity=gt100');
  const s = await eventually(async () => {
    const now = (await call(srv, 'GET', `Subscription/${id}`)).body;
    return now.status === 'error' ? now : undefined;
  });
  expect(s.error).toMatch(/cannot be filtered by Observation.value-quantity/);
});
