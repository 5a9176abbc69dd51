import { hostname } from 'node:os';
import type { Config } from '../config/config.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { RepositoryDeps } from '../repository/repository.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker.js';
import { IngestCounters } from './counters.js';
import { DeadLetters } from './dead-letter.js';
import { DeviceKeeper } from './devices.js';
import { Ingest } from './ingest.js';
import { MqttSession } from './mqtt-session.js';
import { Packer } from './packer.js';
import { DeviceRateLimit } from './rate-limit.js';
import { Registry } from './registry.js';
import { deviceTopicFilter } from './topic.js';
import { defaultTenant } from '../tenant.js';
import type { AlertWaits } from '../subscriptions/alert-waits.js';

export interface IngestService {
  counters: IngestCounters;
  /** The broker the ingest listens to (the embedded one's URL when MQTT_URL is unset). */
  brokerUrl: string;
  packer: Packer;
  stop(): Promise<void>;
}


/**
 * Starts the MQTT side: the embedded broker when no MQTT_URL is set, the subscriber session,
 * the dead-letter publisher and the packer. With an external broker the subscription is shared
 * ($share/<group>/...), so several Serium replicas split the stream.
 */
export async function startIngest(config: Config, db: Database, repoDeps: RepositoryDeps, log: Logger, waits?: AlertWaits): Promise<IngestService> {
  let broker: EmbeddedBroker | undefined;
  if (!config.mqttUrl) {
    broker = await startEmbeddedBroker(config.host, config.mqttPort);
    log.info('embedded MQTT broker listening', { url: broker.url, port: broker.port });
  }
  const url = config.mqttUrl ?? broker!.url;
  // aedes speaks MQTT 3.1.1 only; shared subscriptions need an MQTT 5 broker such as Mosquitto
  const protocolVersion = broker ? 4 : 5;
  const clientId = config.mqttClientId || `serium-ingest-${hostname()}`;
  const filter = deviceTopicFilter(config.mqttTopicRoot);
  const subscription = !broker && config.mqttShareGroup ? `$share/${config.mqttShareGroup}/${filter}` : filter;
  const counters = new IngestCounters();
  const stopBroker = async () => broker?.close();
  let deadLetters: DeadLetters;
  try {
    deadLetters = await DeadLetters.connect(url, `${clientId}-errors`, protocolVersion, log);
  } catch (err) {
    await stopBroker();
    throw new Error(`cannot reach the MQTT broker at ${url}: ${(err as Error).message}`);
  }
  const ingest = new Ingest({
    db,
    repoDeps,
    log,
    counters,
    registry: new Registry(db, config.ingestRegistryTtlMs),
    devices: new DeviceKeeper(),
    rateLimit: new DeviceRateLimit(config.ingestDeviceRate, config.ingestDeviceBurst),
    deadLetters,
    waits,
    settings: {
      topicRoot: config.mqttTopicRoot,
      tenants: new Set([defaultTenant]),
      maxBytes: config.ingestMaxMessageBytes,
      batchMax: config.ingestBatchMax,
      batchWaitMs: config.ingestBatchWaitMs,
      packDelayMs: config.ingestPackDelayMs,
    },
  });
  const session = new MqttSession({
    url,
    clientId,
    protocolVersion,
    subscription,
    // twice a batch: the next batch gathers while one is being written and acknowledged
    receiveMaximum: Math.min(65535, 2 * config.ingestBatchMax),
    // larger messages would be refused anyway; the broker drops them instead of filling memory
    maximumPacketSize: config.ingestMaxMessageBytes + 64 * 1024,
    keepaliveSeconds: 30,
    log,
    onMessage: (m) => ingest.receive(m),
    onDisconnect: () => ingest.dropQueued(),
  });
  const packer = new Packer({ db, repoDeps, log, counters, clock: repoDeps.clock }, config.ingestPackIntervalMs);
  packer.start();
  await session.start();
  log.info('ingest listening', { url, subscription, clientId });
  return {
    counters,
    brokerUrl: url,
    packer,
    async stop() {
      // the batch being written commits and is acknowledged before the connection closes
      await ingest.stop();
      await session.stop();
      await packer.stop();
      await deadLetters.close();
      await stopBroker();
    },
  };
}
