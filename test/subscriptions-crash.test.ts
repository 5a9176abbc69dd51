import { eventually, withoutBots } from './harness.js';
import { HookReceiver } from './hook-receiver.js';
import { SeriumProcess } from './serium-process.js';

// Kill -9 while a notification is on the wire and others wait: after a restart every
// notification reaches the endpoint at least once, with its event number.

const hook = new HookReceiver();
let serium: SeriumProcess;

afterAll(async () => {
  await hook.stop();
  await serium?.remove();
});

test('SIGKILL during delivery: after a restart every notification arrives at least once', async () => {
  await hook.start();
  serium = new SeriumProcess({ ...withoutBots, INGEST: 'off', SUBSCRIPTIONS: 'on', SUBSCRIPTION_POLL_MS: '50', SUBSCRIPTION_TIMEOUT_MS: '500' });
  await serium.createDatabase();
  const post = (path: string, body: object) => fetch(`${serium.baseUrl}/${path}`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) }).then((r) => r.json());
  await serium.start();
  const sub = await post('Subscription', {
    resourceType: 'Subscription',
    status: 'requested',
    reason: 'crash test',
    criteria: 'Observation?code=http://loinc.org|8867-4',
    channel: { type: 'rest-hook', endpoint: hook.url() },
  });
  await eventually(async () => (await (await fetch(`${serium.baseUrl}/Subscription/${sub.id}`)).json()).status === 'active');

  // the first notification hangs on the wire; the process dies while it does
  let first = true;
  hook.respond = () => (first ? ((first = false), 'hang') : 200);
  const observation = (i: number) => ({
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
    subject: { reference: 'Patient/crash' },
    effectiveDateTime: new Date(Date.parse('2026-11-21T00:00:00Z') + i * 60_000).toISOString(),
    valueQuantity: { value: 60 + (i % 30), unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  });
  for (let i = 0; i < 20; i++) await post('Observation', observation(i));
  await eventually(async () => hook.received.length >= 1);
  await serium.kill();
  const seenBeforeRestart = hook.received.length;
  await serium.start();
  for (let i = 20; i < 40; i++) await post('Observation', observation(i));

  // every notification answered 200, the hung one included: it is sent again once its claim lapses
  const answered = () => new Set(hook.received.slice(1).map((r) => Number(r.headers['x-serium-event-number'])));
  await eventually(async () => answered().size === 40, 30_000, 200);
  expect([...answered()].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  const hung = Number(hook.received[0].headers['x-serium-event-number']);
  expect(hook.received.slice(seenBeforeRestart).some((r) => Number(r.headers['x-serium-event-number']) === hung)).toBe(true);
}, 120_000);
