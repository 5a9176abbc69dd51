import { randomBytes } from 'node:crypto';
import { call, eventually, put, type TestServer } from './harness.js';
import { startIngestServer, type IngestTestServer } from './mqtt-harness.js';
import { HookReceiver } from './hook-receiver.js';
import { SmtpReceiver } from './smtp-receiver.js';

/**
 * A patient with a care team in escalation order (a nurse reached by email then SMS, a doctor by
 * push) and a daughter reached by SMS, for the alerting tests.
 */
export async function patientWithTeam(srv: TestServer): Promise<{ patient: string; nurse: string; doctor: string; daughter: string; tag: string }> {
  const tag = randomBytes(4).toString('hex');
  const patient = `pat-${tag}`;
  const nurse = `nurse-${tag}`;
  const doctor = `doc-${tag}`;
  const daughter = `rel-${tag}`;
  await put(srv, { resourceType: 'Patient', id: patient, identifier: [{ system: 'urn:serium:pseudonym', value: patient }], telecom: [{ system: 'email', value: `${patient}@home.test` }] });
  await put(srv, { resourceType: 'Device', id: `cuff-${tag}`, status: 'active', identifier: [{ system: 'urn:serium:device', value: `cuff-${tag}` }], patient: { reference: `Patient/${patient}` } });
  await put(srv, {
    resourceType: 'Practitioner',
    id: nurse,
    name: [{ text: 'Nurse on duty' }],
    telecom: [
      { system: 'phone', use: 'mobile', value: `+3360000${tag.slice(0, 4)}`, rank: 2 },
      { system: 'email', value: `${nurse}@care.test`, rank: 1 },
    ],
  });
  await put(srv, { resourceType: 'Practitioner', id: doctor, name: [{ text: 'Doctor' }], telecom: [{ system: 'other', value: `push:${doctor}-token` }] });
  await put(srv, { resourceType: 'RelatedPerson', id: daughter, active: true, patient: { reference: `Patient/${patient}` }, telecom: [{ system: 'sms', value: `+3361111${tag.slice(0, 4)}` }] });
  await put(srv, {
    resourceType: 'CareTeam',
    id: `team-${tag}`,
    status: 'active',
    subject: { reference: `Patient/${patient}` },
    participant: [{ member: { reference: `Practitioner/${nurse}` } }, { member: { reference: `Practitioner/${doctor}` } }, { member: { reference: `RelatedPerson/${daughter}` } }],
  });
  return { patient, nurse, doctor, daughter, tag };
}

export const glucose = (patient: string, value: number, at = '2026-11-21T08:00:00Z') => ({
  resourceType: 'Observation',
  status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
  code: { coding: [{ system: 'http://loinc.org', code: '41653-7', display: 'Glucose [Mass/volume] in Capillary blood by Glucometer' }] },
  subject: { reference: `Patient/${patient}` },
  effectiveDateTime: at,
  valueQuantity: { value, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' },
});

/**
 * A server with the MQTT ingest on, whose messages to people go to a real SMTP server (email) and a
 * local HTTP gateway (SMS, push).
 */
export class AlertingServer {
  readonly smtp = new SmtpReceiver();
  readonly gateway = new HookReceiver();
  srv!: IngestTestServer;

  async start(env: Record<string, string> = {}): Promise<void> {
    await this.smtp.start();
    await this.gateway.start();
    this.srv = await startIngestServer({ SUBSCRIPTIONS: 'on', SUBSCRIPTION_POLL_MS: '50', SUBSCRIPTION_RETRY_BASE_MS: '100', SMTP_URL: this.smtp.url, NOTIFY_GATEWAY_URL: this.gateway.url('/notify'), ...env });
    await eventually(async () => (await call(this.srv, 'GET', 'Subscription/bot-communication-dispatch')).body.status === 'active');
  }

  async stop(): Promise<void> {
    await this.srv?.stop();
    await this.gateway.stop();
    await this.smtp.stop();
  }
}
