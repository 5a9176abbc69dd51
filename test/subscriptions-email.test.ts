import { call, eventually, startTestServer, type TestServer, withoutBots } from './harness.js';
import { SmtpReceiver } from './smtp-receiver.js';

// Email channels through a real SMTP server (smtp-server, receiving on a local port): a
// topic-based Subscription gets its handshake and its notifications as mail with the
// notification Bundle attached.

const smtp = new SmtpReceiver();
const mail = smtp.mail;
let srv: TestServer;

beforeAll(async () => {
  await smtp.start();
  srv = await startTestServer({ ...withoutBots, SUBSCRIPTIONS: 'on', SUBSCRIPTION_POLL_MS: '50', SMTP_URL: smtp.url, SMTP_FROM: 'alerts@serium.test' });
});

afterAll(async () => {
  await srv?.stop();
  await smtp.stop();
});

/** The attachment of a raw message, decoded (nodemailer sends JSON attachments base64-encoded). */
function attachment(raw: string): any {
  const part = raw.split(/filename="?notification\.json"?/)[1];
  const body = part.split(/\r?\n\r?\n/)[1].split(/\r?\n--/)[0];
  return JSON.parse(Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8'));
}

test('handshake and notification arrive by email, with the notification Bundle attached', async () => {
  const r = await call(srv, 'POST', 'Subscription', {
    resourceType: 'Subscription',
    status: 'requested',
    reason: 'alerts by email',
    criteria: 'https://serium.dev/fhir/SubscriptionTopic/alert-raised',
    _criteria: { extension: [{ url: 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-filter-criteria', valueString: 'Flag.patient=Patient/m1' }] },
    channel: { type: 'email', endpoint: 'mailto:nurse@care.test', payload: 'application/fhir+json' },
  });
  expect(r.status).toBe(201);
  await eventually(async () => (await call(srv, 'GET', `Subscription/${r.body.id}`)).body.status === 'active');
  expect(mail).toHaveLength(1);
  expect(mail[0].to).toEqual(['nurse@care.test']);
  expect(mail[0].raw).toMatch(/^From: alerts@serium\.test/m);
  expect(attachment(mail[0].raw).entry[0].resource.parameter.find((p: any) => p.name === 'type').valueCode).toBe('handshake');

  const flag = await call(srv, 'POST', 'Flag', { resourceType: 'Flag', status: 'active', code: { text: 'Heightened monitoring' }, subject: { reference: 'Patient/m1' } });
  await call(srv, 'POST', 'Flag', { resourceType: 'Flag', status: 'active', code: { text: 'other patient' }, subject: { reference: 'Patient/m2' } });
  await eventually(async () => mail.length >= 2);
  await new Promise((r) => setTimeout(r, 300));
  expect(mail).toHaveLength(2);
  const headers = mail[1].raw.replace(/\r?\n[ \t]+/g, ' '); // unfold long header lines
  expect(headers).toMatch(new RegExp(`^Subject: Serium Subscription ${r.body.id}: event 1: Flag/${flag.body.id} created`, 'm'));
  const bundle = attachment(mail[1].raw);
  expect(bundle.type).toBe('history');
  expect(bundle.entry[1].fullUrl).toBe(`${srv.baseUrl}/Flag/${flag.body.id}`);
});

test('an email Subscription without a mailto: address is refused', async () => {
  const r = await call(srv, 'POST', 'Subscription', {
    resourceType: 'Subscription',
    status: 'requested',
    reason: 'bad',
    criteria: 'Flag?patient=Patient/m1',
    channel: { type: 'email', endpoint: 'https://example.org' },
  });
  const s = await eventually(async () => {
    const now = (await call(srv, 'GET', `Subscription/${r.body.id}`)).body;
    return now.status === 'error' ? now : undefined;
  });
  expect(s.error).toMatch(/mailto:/);
});
