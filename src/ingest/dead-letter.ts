import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from '../logger.js';
import type { Rejection } from './reading.js';
import { errorsTopic, type DeviceTopic } from './topic.js';

/** What a rejection notice carries, as JSON on serium/{tenant}/{patient}/{device}/errors. */
export interface DeadLetter {
  reason: Rejection['reason'];
  message: string;
  topic: string;
  receivedAt: string;
  /** The start of the rejected payload, as text. */
  payload: string;
}

const keptPayloadChars = 2048;

/** Publishes rejection notices with QoS 1 on its own connection. */
export class DeadLetters {
  private constructor(
    private readonly client: MqttClient,
    private readonly log: Logger,
  ) {}

  static async connect(url: string, clientId: string, protocolVersion: 4 | 5, log: Logger): Promise<DeadLetters> {
    const client = await mqtt.connectAsync(url, { clientId, protocolVersion, clean: true, reconnectPeriod: 1000, connectTimeout: 10_000 });
    client.on('error', (err) => log.warn('mqtt dead-letter connection error', { error: err.message }));
    return new DeadLetters(client, log);
  }

  /**
   * Publishes the notice; resolves when the broker has it or after timeoutMs, so a broker outage
   * cannot hold the ingest (the rejection is logged and counted either way).
   */
  async publish(topic: DeviceTopic, original: string, payload: Buffer, rejection: Rejection, timeoutMs = 5000): Promise<void> {
    const letter: DeadLetter = {
      reason: rejection.reason,
      message: rejection.message,
      topic: original,
      receivedAt: new Date().toISOString(),
      payload: payload.subarray(0, keptPayloadChars * 4).toString('utf8').slice(0, keptPayloadChars),
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.log.warn('dead letter not confirmed by the broker in time', { topic: errorsTopic(topic) });
        resolve();
      }, timeoutMs);
    });
    try {
      await Promise.race([this.client.publishAsync(errorsTopic(topic), JSON.stringify(letter), { qos: 1 }).then(() => undefined), timeout]);
    } catch (err) {
      this.log.warn('dead letter not published', { topic: errorsTopic(topic), error: (err as Error).message });
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
