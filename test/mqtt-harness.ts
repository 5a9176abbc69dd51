import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { call, eventually, put, startTestServer, type TestServer } from './harness.js';

export { eventually } from './harness.js';

/** The broker the MQTT tests use: Mosquitto on the CI machine. */
export const brokerUrl = process.env.MQTT_TEST_URL || 'mqtt://127.0.0.1:1883';

export interface IngestTestServer extends TestServer {
  /** This server's topic root: tests running at once never see each other's messages. */
  root: string;
  topic(pseudonym: string, device: string, metric: string, tenant?: string): string;
}

export function uniqueName(prefix: string): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

/** Serium with the MQTT ingest on, a topic root of its own, and windows packed at once. */
export async function startIngestServer(env: Record<string, string> = {}): Promise<IngestTestServer> {
  const root = uniqueName('t');
  const srv = await startTestServer({
    INGEST: 'on',
    MQTT_URL: brokerUrl,
    MQTT_TOPIC_ROOT: root,
    MQTT_CLIENT_ID: `${root}-ingest`,
    INGEST_PACK_DELAY_MS: '0',
    INGEST_PACK_INTERVAL_MS: '100',
    INGEST_REGISTRY_TTL_MS: '500',
    ...env,
  });
  return Object.assign(srv, {
    root,
    topic: (pseudonym: string, device: string, metric: string, tenant = 'default') => `${root}/${tenant}/${pseudonym}/${device}/${metric}`,
  });
}

export async function publisher(): Promise<MqttClient> {
  return mqtt.connectAsync(brokerUrl, { clientId: uniqueName('pub'), protocolVersion: 5 });
}

/** Publishes with QoS 1; objects are sent as JSON. */
export async function publish(client: MqttClient, topic: string, payload: unknown, properties?: Record<string, string>): Promise<void> {
  const body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
  await client.publishAsync(topic, body, { qos: 1, ...(properties ? { properties: { userProperties: properties } } : {}) });
}

/** Collects what Serium publishes on the errors topics under root. */
export async function collectDeadLetters(root: string): Promise<{ letters: { topic: string; body: any }[]; close(): Promise<void> }> {
  const client = await mqtt.connectAsync(brokerUrl, { clientId: uniqueName('dl'), protocolVersion: 5 });
  const letters: { topic: string; body: any }[] = [];
  client.on('message', (topic, payload) => letters.push({ topic, body: JSON.parse(payload.toString()) }));
  await client.subscribeAsync(`${root}/+/+/+/errors`, { qos: 1 });
  return { letters, close: () => client.endAsync() };
}

/** Registers a patient (by pseudonym) and its devices over REST; returns the Patient id. */
export async function registerPatient(srv: TestServer, pseudonym: string, devices: string[]): Promise<string> {
  const id = `p-${pseudonym}`;
  await put(srv, { resourceType: 'Patient', id, identifier: [{ system: 'urn:serium:pseudonym', value: pseudonym }] });
  for (const d of devices) {
    await put(srv, {
      resourceType: 'Device',
      id: `d-${d}`,
      status: 'active',
      identifier: [{ system: 'urn:serium:device', value: d }],
      patient: { reference: `Patient/${id}` },
    });
  }
  return id;
}

/** A server with the bots on (delivery polled every 50 ms) and a publisher, once the named bots' Subscriptions are active. */
export async function startBotServer(bots: string[], env: Record<string, string> = {}): Promise<{ srv: IngestTestServer; pub: MqttClient }> {
  const srv = await startIngestServer({ SUBSCRIPTIONS: 'on', SUBSCRIPTION_POLL_MS: '50', ...env });
  const pub = await publisher();
  for (const bot of bots) await eventually(async () => (await call(srv, 'GET', `Subscription/bot-${bot}`)).body.status === 'active');
  return { srv, pub };
}

/** A server whose packer runs only when a test calls packDue() (windows due at once), and a publisher. */
export async function startPackOnDemandServer(): Promise<{ srv: IngestTestServer; pub: MqttClient }> {
  const srv = await startIngestServer({ INGEST_PACK_DELAY_MS: '0', INGEST_PACK_INTERVAL_MS: '3600000' });
  return { srv, pub: await publisher() };
}

/** Stops what startBotServer or startPackOnDemandServer started. */
export async function stopBotServer(running: { srv?: IngestTestServer; pub?: MqttClient }): Promise<void> {
  await running.pub?.endAsync();
  await running.srv?.stop();
}
