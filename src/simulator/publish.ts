import { connectAsync, type MqttClient } from 'mqtt';

/** Publishes with QoS 1, at most `maxInFlight` messages awaiting their PUBACK at once. */
export interface Publisher {
  /** Resolves once the message is handed to the client and there is room for another. */
  publish(topic: string, payload: string): Promise<void>;
  /** Resolves when every message published so far is acknowledged. */
  flush(): Promise<void>;
  close(): Promise<void>;
  readonly inFlight: number;
}

export async function connectPublisher(url: string, maxInFlight: number, clientId = `serium-sim-${process.pid}-${Date.now().toString(36)}`): Promise<Publisher> {
  const client = await connectAsync(url, { clientId, clean: true, reconnectPeriod: 1000, connectTimeout: 10_000 });
  return publisherFor(client, maxInFlight);
}

/** A publisher over an already connected client (which it closes on close()). */
export function publisherFor(client: MqttClient, maxInFlight: number): Publisher {
  if (!(maxInFlight >= 1)) throw new Error('max in-flight must be at least 1');
  const pending = new Set<Promise<void>>();
  let failure: unknown;

  const publisher: Publisher = {
    get inFlight() {
      return pending.size;
    },
    async publish(topic, payload) {
      if (failure) throw failure;
      const sent: Promise<void> = client.publishAsync(topic, payload, { qos: 1 }).then(
        () => {
          pending.delete(sent);
        },
        (err: unknown) => {
          pending.delete(sent);
          failure ??= err;
        },
      );
      pending.add(sent);
      while (pending.size >= maxInFlight) await Promise.race(pending);
      if (failure) throw failure;
    },
    async flush() {
      while (pending.size) await Promise.race(pending);
      if (failure) throw failure;
    },
    async close() {
      await publisher.flush().finally(() => client.endAsync());
    },
  };
  return publisher;
}
