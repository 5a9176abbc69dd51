import type { Subscription } from '@medplum/fhirtypes';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import { currentVersionJoin, fromRecord, versionColumns, type VersionRecord } from '../repository/stored.js';
import { notificationBundle } from './notification-bundle.js';
import { sendNotificationBundle } from './rest-hook.js';
import { subscriptionTarget } from './subscription.js';
import type { Topic } from './topics.js';
import type { WebSocketHub } from './websocket-hub.js';

/**
 * Sends a heartbeat (backport IG) to each active topic-based Subscription with a
 * backport-heartbeat-period whose endpoint has had nothing for that long, so the client can tell
 * silence from a broken channel. A failed heartbeat is only logged: the next one comes a period
 * later, and the Subscription's status is left to its notifications.
 */
export class Heartbeats {
  constructor(
    private readonly deps: {
      db: Database;
      topics: ReadonlyMap<string, Topic>;
      baseUrl: string;
      timeoutMs: number;
      log: Logger;
      clock: () => Date;
      sockets?: Pick<WebSocketHub, 'send'>;
    },
  ) {}

  /**
   * One round: each due Subscription is claimed by moving its last-sent time (so one replica
   * sends each heartbeat), then all are sent at once. Answers 0 so the loop waits its interval.
   */
  async beatOnce(): Promise<number> {
    const { rows } = await this.deps.db.query<VersionRecord & { tenant: string; events: string; idle_ms: number }>(
      `SELECT ${versionColumns}, s.tenant, s.events, extract(epoch FROM clock_timestamp() - s.last_sent_at) * 1000 AS idle_ms
         FROM subscription_state s
         JOIN resource r ON r.tenant = s.tenant AND r.resource_type = 'Subscription' AND r.id = s.subscription_id AND NOT r.deleted
         ${currentVersionJoin}
        WHERE s.last_sent_at IS NOT NULL`,
    );
    const sends: Promise<void>[] = [];
    for (const row of rows) {
      const resource = fromRecord(row).resource as Subscription & { id: string };
      const target = subscriptionTarget(resource, this.deps.topics);
      if (resource.status !== 'active' || typeof target === 'string' || !target.topic || !target.heartbeatSeconds) continue;
      if (Number(row.idle_ms) < target.heartbeatSeconds * 1000) continue;
      const { rowCount } = await this.deps.db.query(
        `UPDATE subscription_state SET last_sent_at = clock_timestamp()
          WHERE tenant = $1 AND subscription_id = $2 AND last_sent_at <= clock_timestamp() - $3 * interval '1 second'`,
        [row.tenant, target.id, target.heartbeatSeconds],
      );
      if (!rowCount) continue; // another replica sends this one
      const bundle = notificationBundle({
        baseUrl: this.deps.baseUrl,
        subscriptionId: target.id,
        topic: target.topic.url,
        status: 'active',
        type: 'heartbeat',
        eventsSinceStart: Number(row.events),
        events: [],
        content: target.content,
      });
      if (target.channel.type === 'websocket') {
        this.deps.sockets?.send(row.tenant, target.id, JSON.stringify(bundle));
        continue;
      }
      const timeoutMs = Math.min(this.deps.timeoutMs, (target.channel.timeoutSeconds ?? Infinity) * 1000);
      sends.push(
        sendNotificationBundle(target, bundle, Number(row.events), timeoutMs, this.deps.clock()).catch((err) =>
          this.deps.log.warn('heartbeat failed', { subscription: target.id, error: (err as Error).message }),
        ),
      );
    }
    await Promise.all(sends);
    return 0;
  }
}
