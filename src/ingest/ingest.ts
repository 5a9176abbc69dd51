import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import { Repository, type RepositoryDeps } from '../repository/repository.js';
import type { IngestCounters } from './counters.js';
import type { DeadLetters } from './dead-letter.js';
import { decodeMessage, type Decoded } from './decode-message.js';
import type { DeviceKeeper, DeviceReport } from './devices.js';
import type { InboundMessage } from './mqtt-session.js';
import type { DeviceRateLimit } from './rate-limit.js';
import { Rejection, type SampleBatch } from './reading.js';
import { isRace, isRefusal } from './refusal.js';
import type { Registration, Registry } from './registry.js';
import { stageSamples, type StagedSample } from './samples.js';
import { spotObservation } from './spot-observation.js';
import type { DeviceTopic } from './topic.js';
import { packing } from './windows.js';
import type { AlertWaits } from '../subscriptions/alert-waits.js';

export interface IngestSettings {
  topicRoot: string;
  tenants: ReadonlySet<string>;
  maxBytes: number;
  batchMax: number;
  batchWaitMs: number;
  packDelayMs: number;
}

export interface IngestDeps {
  db: Database;
  repoDeps: RepositoryDeps;
  log: Logger;
  counters: IngestCounters;
  registry: Registry;
  devices: DeviceKeeper;
  rateLimit: DeviceRateLimit;
  deadLetters: Pick<DeadLetters, 'publish'>;
  /** Told how long each batch's first message waited from its arrival to its commit. */
  waits?: Pick<AlertWaits, 'note'>;
  settings: IngestSettings;
}

type Accepted = Extract<Decoded, { kind: 'readings' | 'samples' }> & { reg: Registration };

interface Item {
  message: InboundMessage;
  decoded: Decoded;
  reg?: Registration;
}

/**
 * Turns device messages into stored readings. Messages are taken in batches: each batch is
 * decoded, its devices looked up, and everything it holds written in one transaction; only then
 * are its messages acknowledged. A message that cannot be stored is rejected alone: its reason
 * goes to the dead-letter topic and it is acknowledged, so the broker does not resend it. When
 * the database is unreachable the batch is retried until it commits; nothing is acknowledged
 * before, so the broker keeps every message.
 */
export class Ingest {
  private queue: InboundMessage[] = [];
  /** When each queued message arrived (performance.now()), in the queue's order. */
  private arrivals: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private stopping = false;

  constructor(private readonly deps: IngestDeps) {}

  receive(message: InboundMessage): void {
    this.queue.push(message);
    this.arrivals.push(performance.now());
    if (this.queue.length >= this.deps.settings.batchMax) this.kick();
    else this.timer ??= setTimeout(() => this.kick(), this.deps.settings.batchWaitMs);
  }

  /** The connection that delivered the queued messages is gone: the broker will send them again. */
  dropQueued(): void {
    this.queue = [];
    this.arrivals = [];
  }

  /** Stops taking batches and waits for the one being written. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.flushing;
  }

  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushing || this.stopping) return;
    this.flushing = this.drain().finally(() => {
      this.flushing = undefined;
      if (this.queue.length && !this.stopping) this.kick();
    });
  }

  /**
   * Takes batches while messages wait. The next batch is decoded and looked up while the one
   * before is being written; writes, and so acknowledgements, stay in the order of arrival.
   */
  private async drain(): Promise<void> {
    let writing: Promise<void> = Promise.resolve();
    while (this.queue.length && !this.stopping) {
      const batch = this.queue.splice(0, this.deps.settings.batchMax);
      const arrived = this.arrivals.splice(0, batch.length)[0];
      let items: Item[];
      try {
        items = await this.prepare(batch);
      } catch (err) {
        this.abandoned(batch, err);
        continue;
      }
      await writing;
      writing = this.commit(items, arrived).catch((err) => this.abandoned(batch, err));
    }
    await writing;
  }

  /** Only a stop while the database was down gets here: the batch stays unacknowledged, and the broker sends it again. */
  private abandoned(batch: InboundMessage[], err: unknown): void {
    this.deps.log.warn('ingest batch abandoned', { messages: batch.length, error: (err as Error).message });
  }

  private async prepare(batch: InboundMessage[]): Promise<Item[]> {
    const { settings, counters } = this.deps;
    const items: Item[] = batch.map((message) => ({
      message,
      decoded: decodeMessage(message.topic, message.payload, message.userProperties, settings),
    }));
    counters.messages += items.filter((i) => i.decoded.kind !== 'skip').length;
    await this.withRetry(() => this.resolve(items));
    return items;
  }

  private async commit(items: Item[], arrived: number): Promise<void> {
    await this.write(items);
    this.deps.waits?.note(performance.now() - arrived);
    this.deps.counters.batches++;
    await Promise.all(items.map((item) => this.reportRejection(item)));
    for (const item of items) item.message.ack();
  }

  /**
   * Looks up patient and device, then applies the device's rate limit. The lookups all finish
   * before any item changes, so a database error leaves the batch as it was, to be retried.
   */
  private async resolve(items: Item[]): Promise<void> {
    const asking = items.flatMap(({ decoded: d }, i) => (d.kind === 'readings' || d.kind === 'samples' ? [{ i, key: { tenant: d.topic.tenant, pseudonym: d.topic.patient, device: d.topic.device } }] : []));
    const answers = await this.deps.registry.resolveAll(asking.map((a) => a.key));
    const found: (Registration | Rejection | undefined)[] = items.map(() => undefined);
    asking.forEach((a, n) => (found[a.i] = answers[n]));
    items.forEach((item, i) => {
      const d = item.decoded;
      const reg = found[i];
      if (!reg || (d.kind !== 'readings' && d.kind !== 'samples')) return;
      if (reg instanceof Rejection) {
        item.decoded = { kind: 'rejected', topic: d.topic, rejection: reg };
        return;
      }
      const count = d.kind === 'readings' ? d.readings.length : d.batch.samples.length;
      if (!this.deps.rateLimit.take(`${d.topic.tenant}/${reg.deviceId}`, count)) {
        item.decoded = { kind: 'rejected', topic: d.topic, rejection: new Rejection('rate-limited', `Device ${d.topic.device} exceeds its rate limit`) };
        return;
      }
      item.reg = reg;
    });
  }

  /**
   * Writes the accepted items of each tenant in one transaction. A write the server refuses
   * (validation, a value PostgreSQL cannot store) makes the items go one by one, so only the
   * culprit is rejected; a lost race with another replica is retried; an unreachable database
   * is waited for.
   */
  private async write(items: Item[]): Promise<void> {
    const byTenant = new Map<string, Item[]>();
    for (const item of items) {
      if (!item.reg) continue;
      const tenant = (item.decoded as Accepted).topic.tenant;
      byTenant.set(tenant, [...(byTenant.get(tenant) ?? []), item]);
    }
    for (const [tenant, group] of byTenant) {
      await this.withRetry(async () => {
        try {
          await this.transaction(tenant, group);
        } catch (err) {
          if (!isRefusal(err)) throw err;
          for (const item of group) {
            await this.withRetry(async () => {
              try {
                await this.transaction(tenant, [item]);
              } catch (one) {
                if (!isRefusal(one)) throw one;
                item.decoded = { kind: 'rejected', topic: (item.decoded as Accepted).topic, rejection: new Rejection('invalid', (one as Error).message) };
                item.reg = undefined;
              }
            });
          }
        }
      });
    }
  }

  private async withRetry(fn: () => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (this.stopping) throw err;
        this.deps.counters.retries++;
        const raced = isRace(err);
        if (!raced || attempt % 10 === 9) this.deps.log.warn('ingest write failed; retrying', { error: (err as Error).message, attempt });
        await new Promise((r) => setTimeout(r, raced ? 10 : Math.min(100 * 2 ** Math.min(attempt, 6), 5000)));
      }
    }
  }

  private async transaction(tenant: string, items: Item[]): Promise<void> {
    const { counters, devices } = this.deps;
    let created = 0;
    let duplicates = 0;
    let staged = 0;
    const written = this.deps.db.transaction(async (tx) => {
      const repo = new Repository(this.deps.repoDeps, tenant, tx, true);
      const observations = new Map<string, ReturnType<typeof spotObservation>['resource']>();
      const samples: StagedSample[] = [];
      let offered = 0;
      await devices.report(repo, newestReports(items));
      for (const item of items) {
        const d = item.decoded as Accepted;
        const reg = item.reg!;
        if (d.kind === 'samples') {
          const gatewayId = d.batch.gateway ? await devices.gateway(repo, reg.patientId, d.batch.gateway, lastSampleTime(d.batch)) : undefined;
          samples.push(...this.staged(d, reg, gatewayId));
        } else {
          const gatewayId = d.gateway ? await devices.gateway(repo, reg.patientId, d.gateway) : undefined;
          for (const r of d.readings) {
            const { id, resource } = spotObservation(r, { tenant, topic: d.topic, patientId: reg.patientId, deviceId: reg.deviceId, gatewayId });
            offered++;
            if (!observations.has(id)) observations.set(id, resource);
          }
        }
      }
      if (observations.size) {
        const { rows } = await tx.query<{ id: string }>(
          `SELECT id FROM resource WHERE tenant = $1 AND resource_type = 'Observation' AND id = ANY($2::text[])`,
          [tenant, [...observations.keys()]],
          { prepare: true },
        );
        // a reading stored before (or deleted since) is not written again
        for (const r of rows) observations.delete(r.id);
        for (const [id, resource] of observations) await repo.createWithId(resource, id);
      }
      created = observations.size;
      duplicates = offered - observations.size;
      staged = await stageSamples(tx, tenant, samples);
      duplicates += samples.length - staged;
    });
    try {
      await written;
    } finally {
      // what the transaction wrote to Devices counts only if it committed
      devices.settle(await written.then(() => true, () => false));
    }
    counters.observationsCreated += created;
    counters.duplicates += duplicates;
    counters.samplesStaged += staged;
  }

  private staged(d: Extract<Accepted, { kind: 'samples' }>, reg: Registration, gatewayId: string | undefined): StagedSample[] {
    const p = packing[d.batch.metric]!;
    return d.batch.samples.map((s, i) => {
      const { windowStart, slot } = d.placed[i];
      return {
        deviceId: reg.deviceId,
        metric: d.batch.metric,
        windowStart: new Date(windowStart).toISOString(),
        slot,
        value: s.value,
        quality: s.quality,
        patientId: reg.patientId,
        deviceKey: d.topic.device,
        pseudonym: d.topic.patient,
        gatewayId,
        sourceOffset: d.batch.sourceOffset,
        dueAt: new Date(windowStart + p.windowMs + this.deps.settings.packDelayMs).toISOString(),
      };
    });
  }

  private async reportRejection(item: Item): Promise<void> {
    const d = item.decoded;
    if (d.kind !== 'rejected') return;
    this.deps.counters.reject(d.rejection.reason);
    this.deps.log.warn('message rejected', { topic: item.message.topic, reason: d.rejection.reason, message: d.rejection.message });
    await this.deps.deadLetters.publish(d.topic as DeviceTopic, item.message.topic, item.message.payload, d.rejection);
  }
}

/** The newest report of each device among the batch's compact messages (messages may arrive out of order). */
function newestReports(items: Item[]): Map<string, DeviceReport> {
  const reports = new Map<string, DeviceReport>();
  for (const i of items) {
    if (i.decoded.kind !== 'samples') continue;
    const reportedAt = lastSampleTime(i.decoded.batch);
    const had = reports.get(i.reg!.deviceId);
    if (!had?.reportedAt || (reportedAt && reportedAt >= had.reportedAt)) reports.set(i.reg!.deviceId, { info: i.decoded.batch.device, reportedAt });
  }
  return reports;
}

function lastSampleTime(batch: SampleBatch): string | undefined {
  return batch.samples.at(-1)?.time;
}
