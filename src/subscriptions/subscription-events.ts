import type { Queryable } from '../db/database.js';
import type { Repository } from '../repository/repository.js';
import type { NotificationEvent } from './notification-bundle.js';

/** How many events have matched the Subscription since it started (its last event number). */
export async function eventsSinceStart(repo: Repository, id: string): Promise<number> {
  const { rows } = await repo.queryable.query<{ events: string }>(
    'SELECT events FROM subscription_state WHERE tenant = $1 AND subscription_id = $2',
    [repo.tenant, id],
  );
  return Number(rows[0]?.events ?? 0);
}

/** At most this many events per $events answer; a client asks again from the last number it got. */
export const maxEventsPerQuery = 1000;

/** The Subscription's recorded events numbered from..to (inclusive; the first maxEventsPerQuery), with the resources as they are now. */
export async function recordedEvents(repo: Repository, id: string, from: number, to: number, withResources: boolean): Promise<NotificationEvent[]> {
  const { rows } = await repo.queryable.query<{ event_number: string; resource_type: string; id: string; action: string; event_at: Date }>(
    `SELECT event_number, resource_type, id, action, event_at FROM subscription_delivery
      WHERE tenant = $1 AND subscription_id = $2 AND event_number BETWEEN $3 AND $4 AND action <> 'handshake'
      ORDER BY event_number LIMIT $5`,
    [repo.tenant, id, from, to, maxEventsPerQuery],
  );
  const events: NotificationEvent[] = [];
  for (const r of rows) {
    const current = withResources ? await repo.current(r.resource_type, r.id) : undefined;
    events.push({
      number: Number(r.event_number),
      timestamp: r.event_at.toISOString(),
      resourceType: r.resource_type,
      id: r.id,
      action: r.action,
      ...(current && !current.deleted ? { resource: current.resource } : {}),
    });
  }
  return events;
}

/** Records that the Subscription's endpoint just got a notification (heartbeats count from here). */
export async function noteSent(q: Queryable, tenant: string, id: string, coarserThanMs = 0): Promise<void> {
  // every notification of a busy Subscription would otherwise queue on this one row: it is moved
  // on at most once per coarserThanMs (heartbeats need to know the last send to about a second)
  if (coarserThanMs > 0) {
    const { rowCount } = await q.query(
      `UPDATE subscription_state SET last_sent_at = clock_timestamp()
        WHERE tenant = $1 AND subscription_id = $2 AND (last_sent_at IS NULL OR last_sent_at < clock_timestamp() - $3 * interval '1 millisecond')`,
      [tenant, id, coarserThanMs],
      { prepare: true },
    );
    if (rowCount) return;
    const { rows } = await q.query<{ found: number }>('SELECT 1 AS found FROM subscription_state WHERE tenant = $1 AND subscription_id = $2', [tenant, id], { prepare: true });
    if (rows.length) return;
  }
  await q.query(
    `INSERT INTO subscription_state (tenant, subscription_id, last_sent_at) VALUES ($1, $2, clock_timestamp())
     ON CONFLICT (tenant, subscription_id) DO UPDATE SET last_sent_at = clock_timestamp()`,
    [tenant, id],
    { prepare: true },
  );
}
