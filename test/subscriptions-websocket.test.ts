import WebSocket from 'ws';
import { call, eventually, startTestServer, type TestServer, withoutBots } from './harness.js';

// The websocket channel of the Subscriptions backport IG: a binding token from
// $get-ws-binding-token, "bind-with-token" on the socket, a handshake, then the notifications.

let srv: TestServer;

beforeAll(async () => {
  srv = await startTestServer({ ...withoutBots, SUBSCRIPTIONS: 'on', SUBSCRIPTION_POLL_MS: '50' });
});

afterAll(async () => {
  await srv?.stop();
});

function connect(url: string): Promise<{ ws: WebSocket; messages: string[] }> {
  const ws = new WebSocket(url);
  const messages: string[] = [];
  ws.on('message', (m) => messages.push(m.toString()));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, messages }));
    ws.once('error', reject);
  });
}

test('bind with a token, get the handshake, then each matching event with its number', async () => {
  const sub = await call(srv, 'POST', 'Subscription', {
    resourceType: 'Subscription',
    status: 'requested',
    reason: 'live view',
    criteria: 'https://serium.dev/fhir/SubscriptionTopic/observation-recorded',
    _criteria: { extension: [{ url: 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-filter-criteria', valueString: 'patient=Patient/w1' }] },
    channel: { type: 'websocket', payload: 'application/fhir+json' },
  });
  expect(sub.status).toBe(201);
  await eventually(async () => (await call(srv, 'GET', `Subscription/${sub.body.id}`)).body.status === 'active');

  const token = await call(srv, 'GET', `Subscription/${sub.body.id}/$get-ws-binding-token`);
  expect(token.status).toBe(200);
  const param = (name: string) => token.body.parameter.find((p: any) => p.name === name);
  expect(param('websocket-url').valueUrl).toMatch(/^ws:\/\/.*\/ws$/);
  expect(Date.parse(param('expiration').valueDateTime)).toBeGreaterThan(Date.now());

  // the base URL names localhost; the test server listens on 127.0.0.1
  const { ws, messages } = await connect(param('websocket-url').valueUrl.replace('localhost', '127.0.0.1'));
  ws.send('bind-with-token not-a-token');
  await eventually(async () => messages.includes('error: unknown or expired token'));
  ws.send(`bind-with-token ${param('token').valueString}`);
  const handshake = JSON.parse((await eventually(async () => messages.find((m) => m.startsWith('{'))))!);
  expect(handshake.entry[0].resource.parameter.find((p: any) => p.name === 'type').valueCode).toBe('handshake');

  const obs = await call(srv, 'POST', 'Observation', {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
    subject: { reference: 'Patient/w1' },
    effectiveDateTime: '2026-11-21T08:00:00Z',
    valueQuantity: { value: 70, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  });
  const bundles = await eventually(async () => {
    const json = messages.filter((m) => m.startsWith('{')).map((m) => JSON.parse(m));
    return json.length >= 2 ? json : undefined;
  });
  const event = bundles[1];
  const params = event.entry[0].resource.parameter;
  expect(params.find((p: any) => p.name === 'type').valueCode).toBe('event-notification');
  expect(params.find((p: any) => p.name === 'notification-event').part[0]).toEqual({ name: 'event-number', valueString: '1' });
  expect(event.entry[1].fullUrl).toBe(`${srv.baseUrl}/Observation/${obs.body.id}`);
  ws.close();
});

test('a token is only given for a websocket Subscription', async () => {
  const sub = await call(srv, 'POST', 'Subscription', {
    resourceType: 'Subscription',
    status: 'off',
    reason: 'hook',
    criteria: 'Observation?code=http://loinc.org|8867-4',
    channel: { type: 'rest-hook', endpoint: 'http://127.0.0.1:9/hook' },
  });
  const r = await call(srv, 'POST', `Subscription/${sub.body.id}/$get-ws-binding-token`, { resourceType: 'Parameters' });
  expect(r.status).toBe(422);
});
