import { decodeCompact, isCompact } from './compact/decode.js';
import { decodeOmh } from './omh/decode.js';
import { Rejection, type Reading, type SampleBatch } from './reading.js';
import { errorsLevel, parseDeviceTopic, type DeviceTopic } from './topic.js';
import { placeBatch, type Placement } from './windows.js';

/** What one MQTT message turned out to be, before the patient and device are looked up. */
export type Decoded =
  | { kind: 'skip' }
  | { kind: 'rejected'; topic: DeviceTopic; rejection: Rejection }
  | { kind: 'readings'; topic: DeviceTopic; readings: Reading[]; gateway?: { id: string } }
  | { kind: 'samples'; topic: DeviceTopic; batch: SampleBatch; placed: Placement[] };

export interface DecodeOptions {
  topicRoot: string;
  tenants: ReadonlySet<string>;
  maxBytes: number;
}

/**
 * Parses the topic and the payload: a compact batch when it says format serium-compact/1,
 * else Open mHealth data points. Messages on the errors topics (Serium's own notices) and on
 * topics that are not device topics are skipped.
 */
export function decodeMessage(topicName: string, payload: Buffer, userProperties: Record<string, string>, opts: DecodeOptions): Decoded {
  const topic = parseDeviceTopic(topicName, opts.topicRoot);
  if (!topic || topic.metric === errorsLevel) return { kind: 'skip' };
  const reject = (rejection: Rejection): Decoded => ({ kind: 'rejected', topic, rejection });
  if (!opts.tenants.has(topic.tenant)) return reject(new Rejection('unknown-tenant', `Unknown tenant "${topic.tenant}"`));
  if (payload.length > opts.maxBytes) return reject(new Rejection('too-large', `Payload of ${payload.length} bytes exceeds ${opts.maxBytes}`));
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    return reject(new Rejection('malformed', `Payload is not JSON: ${(err as Error).message}`));
  }
  try {
    if (isCompact(json)) {
      const batch = decodeCompact(topic.metric, json);
      return { kind: 'samples', topic, batch, placed: placeBatch(batch) };
    }
    const gateway = userProperties.gateway ? { id: userProperties.gateway.slice(0, 64) } : undefined;
    return { kind: 'readings', topic, readings: decodeOmh(topic.metric, json), ...(gateway ? { gateway } : {}) };
  } catch (err) {
    if (err instanceof Rejection) return reject(err);
    return reject(new Rejection('invalid', (err as Error).message));
  }
}
