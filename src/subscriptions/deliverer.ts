import type { Subscription } from '@medplum/fhirtypes';
import type { Database, Queryable } from '../db/database.js';
import { BotBusy, type Bot } from '../bots/bot.js';
import { runBot } from '../bots/runtime.js';
import type { EmailSender } from '../notify/email.js';
import type { Notifier } from '../notify/channel.js';
import type { WebSocketHub } from './websocket-hub.js';
import type { SearchContext } from '../search/search.js';
import type { Logger } from '../logger.js';
import { Repository, type RepositoryDeps } from '../repository/repository.js';
import { notificationBundle } from './notification-bundle.js';
import { sendNotificationBundle, sendRestHook } from './rest-hook.js';
import { noteSent } from './subscription-events.js';
import { subscriptionTarget, type SubscriptionTarget } from './subscription.js';
import type { Topic } from './topics.js';
import type { Gate } from './gate.js';
import type { AlertWaits } from './alert-waits.js';
import { lanePriority, type Lane } from './lanes.js';

export interface DeliverySettings {
  /** Attempts before a notification is dead, unless the Subscription says otherwise. */
  maxAttempts: number;
  /** First retry delay; each retry doubles it, up to retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** How long an endpoint may take to answer. */
  timeoutMs: number;
}

interface Claimed {
  tenant: string;
  subscription_id: string;
  event_number: string;
  resource_type: string;
  id: string;
  action: string;
  event_at: Date;
  attempts: number;
  /** The lane, as stored (lanes.ts). */
  priority: number;
  /** From the event to this claim. */
  waited_ms: number;
}

/** No websocket client is bound to the Subscription right now. */
class NoListener extends Error {
  constructor() {
    super('no websocket client was bound');
  }
}

/** The claim ran out while the notification waited its turn, and another claim has it now. */
class Superseded extends Error {
  constructor() {
    super('claimed again meanwhile');
  }
}

/** How long a Subscription that is not active (off, error, requested) holds its notifications before they are looked at again. */
const holdMs = 60_000;

/**
 * Sends the due notifications. A notification is claimed by moving its next attempt past the
 * request's timeout (one statement, FOR UPDATE SKIP LOCKED), so replicas never send the same one
 * at once, and a process killed while sending leaves it to be claimed again when that time comes:
 * at least once. A failure is retried after an exponentially growing delay; after the maximum
 * attempts the notification is dead (kept for $replay) and the Subscription turns to error with
 * the reason.
 */
export class Deliverer {
  constructor(
    private readonly deps: {
      db: Database;
      /** Connections of the urgent lane alone (the shared pool when there is only one). */
      urgentDb: Database;
      repoDeps: RepositoryDeps;
      log: Logger;
      settings: DeliverySettings;
      clock: () => Date;
      topics: ReadonlyMap<string, Topic>;
      baseUrl: string;
      bots: ReadonlyMap<string, Bot>;
      searchContext: (q: Queryable, tenant: string) => SearchContext;
      /** For email channels; unset when no SMTP server is configured. */
      email?: EmailSender;
      /** What bots send messages to people with. */
      notifier: Notifier;
      /** What routine (not urgent) bots run through: fewer at once than the pool has connections, none while alerts wait. */
      routineBots: Gate;
      /** Where the urgent lane records how long its notifications waited for their claim. */
      waits: AlertWaits;
      /** For websocket channels. */
      sockets?: Pick<WebSocketHub, 'send'>;
    },
  ) {}

  /**
   * Notifications being sent, per lane, each with slots of its own: the urgent bots' (priority 1),
   * the endpoints outside (0) and the other bots' (-1). A backlog in one never holds up another.
   */
  private readonly inFlight = { urgent: new Set<Promise<void>>(), endpoints: new Set<Promise<void>>(), bots: new Set<Promise<void>>() };

  /**
   * Claims as many due notifications of one lane as it has free sending slots and starts sending
   * them without waiting: a slow endpoint holds its own slots, not everyone's. The urgent lane has
   * 10, the endpoints 50, and the routine bots twice as many as may run at once now (so the next
   * are ready, and none waits long enough for its claim to run out; none while the gate is shut).
   * Each lane runs in its own loop. Returns how many were claimed.
   */
  async deliverOnce(lane: Lane): Promise<number> {
    const slots = { urgent: 10, endpoints: 50, bots: 2 * this.deps.routineBots.places }[lane];
    const inFlight = this.inFlight[lane];
    const free = slots - inFlight.size;
    if (free <= 0) return 0;
    const priority = lanePriority[lane];
    const { rows } = await this.dbOf(priority).query<Claimed>(
      `UPDATE subscription_delivery d
          SET attempts = d.attempts + 1, next_attempt_at = clock_timestamp() + $2 * interval '1 millisecond'
        WHERE (d.tenant, d.subscription_id, d.event_number) IN (
              SELECT tenant, subscription_id, event_number FROM subscription_delivery
               WHERE status = 'pending' AND priority = $3 AND next_attempt_at <= clock_timestamp()
               ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING d.tenant, d.subscription_id, d.event_number, d.resource_type, d.id, d.action, d.event_at, d.attempts, d.priority,
                 (extract(epoch FROM clock_timestamp() - d.event_at) * 1000)::float8 AS waited_ms`,
      [free, this.claimMs(), priority],
    );
    for (const row of rows) {
      // a first attempt's wait is the alert path's; a retry's is its backoff
      if (lane === 'urgent' && row.attempts === 1) this.deps.waits.note(row.waited_ms);
      const sending: Promise<void> = this.deliver(row)
        .catch((err) => this.deps.log.warn('notification not settled', { subscription: row.subscription_id, event: row.event_number, error: (err as Error).message }))
        .finally(() => inFlight.delete(sending));
      inFlight.add(sending);
    }
    return rows.length;
  }

  /** The connections a notification is handled on: the urgent lane's own, or the shared pool. */
  private dbOf(priority: number): Database {
    return priority === lanePriority.urgent ? this.deps.urgentDb : this.deps.db;
  }

  /** Waits for the notifications being sent. */
  async idle(): Promise<void> {
    await Promise.all(Object.values(this.inFlight).flatMap((lane) => [...lane]));
  }

  /** Deletes delivered notifications older than `days`: $events can no longer return them. */
  async prune(days: number): Promise<number> {
    const { rowCount } = await this.deps.db.query(
      `DELETE FROM subscription_delivery WHERE status = 'delivered' AND delivered_at < clock_timestamp() - $1 * interval '1 day'`,
      [days],
    );
    return rowCount ?? 0;
  }

  private async deliver(row: Claimed): Promise<void> {
    const db = this.dbOf(row.priority);
    const repo = new Repository({ ...this.deps.repoDeps, db }, row.tenant);
    const stored = await repo.current('Subscription', row.subscription_id);
    const subscription = stored && !stored.deleted ? (stored.resource as Subscription & { id: string }) : undefined;
    if (!subscription) return this.finish(row, 'dead', 'the Subscription was deleted');
    const target = subscriptionTarget(subscription, this.deps.topics);
    const handshake = row.action === 'handshake';
    const ready = handshake ? subscription.status === 'requested' : subscription.status === 'active';
    if (!ready || typeof target === 'string') return this.hold(row, holdMs);
    // a Subscription may ask for less time than the server's timeout, never more: the claim lasts that long
    const timeoutMs = Math.min(this.deps.settings.timeoutMs, (target.channel.timeoutSeconds ?? Infinity) * 1000);
    const max = target.maxAttempts ?? this.deps.settings.maxAttempts;
    try {
      await this.send(repo, target, row, timeoutMs, max);
      await this.finish(row, 'delivered');
      // only heartbeats read the time of the last send: other Subscriptions need not queue on its row
      if (target.heartbeatSeconds) await noteSent(db, row.tenant, row.subscription_id, 1000);
      if (handshake) await this.setStatus(repo, subscription.id, 'requested', 'active');
    } catch (err) {
      // the newer claim settles it: nothing to record here
      if (err instanceof Superseded) return;
      // another run of the bot is doing this work: back in about a second, the attempt not counted
      if (err instanceof BotBusy) return this.hold(row, 500 + Math.random() * 1000);
      const reason = (err as Error).message;
      if (err instanceof NoListener) {
        // nobody is listening: not a failure of the Subscription; the client catches up with $events
        await this.finish(row, 'dead', reason);
        return;
      }
      if (row.attempts >= max) {
        await this.finish(row, 'dead', reason);
        const what = handshake ? 'The handshake' : `Notification ${row.event_number}`;
        await this.setStatus(repo, subscription.id, handshake ? 'requested' : 'active', 'error', `${what} failed ${row.attempts} times; last: ${reason}`);
        return;
      }
      const { retryBaseMs, retryMaxMs } = this.deps.settings;
      const delay = Math.min(retryMaxMs, retryBaseMs * 2 ** (row.attempts - 1)) * (0.8 + Math.random() * 0.4);
      await db.query(
        `UPDATE subscription_delivery SET last_error = $4, next_attempt_at = clock_timestamp() + $5 * interval '1 millisecond'
          WHERE tenant = $1 AND subscription_id = $2 AND event_number = $3`,
        [row.tenant, row.subscription_id, row.event_number, reason, Math.round(delay)],
      );
      this.deps.log.warn('notification failed; will retry', { subscription: row.subscription_id, event: row.event_number, attempt: row.attempts, error: reason });
    }
  }

  /** Held, not failed: the notification is due again after ms, and the attempt does not count. */
  private async hold(row: Claimed, ms: number): Promise<void> {
    await this.dbOf(row.priority).query(
      `UPDATE subscription_delivery SET attempts = attempts - 1, next_attempt_at = clock_timestamp() + $4 * interval '1 millisecond'
        WHERE tenant = $1 AND subscription_id = $2 AND event_number = $3`,
      [row.tenant, row.subscription_id, row.event_number, Math.round(ms)],
    );
  }

  /** A plain R4 notification, or the backport IG's Bundle (handshake or event) for a topic-based Subscription. */
  private async send(repo: Repository, target: SubscriptionTarget, row: Claimed, timeoutMs: number, maxAttempts: number): Promise<void> {
    const now = this.deps.clock();
    const number = Number(row.event_number);
    const current = row.action === 'handshake' ? undefined : await repo.current(row.resource_type, row.id);
    const live = current && !current.deleted ? current : undefined;
    if (target.channel.endpoint.startsWith('Bot/')) {
      const bot = this.deps.bots.get(target.channel.endpoint.slice(4));
      if (!bot) throw new Error(`no bot ${target.channel.endpoint}`);
      if (row.action === 'handshake') return;
      const event = { resourceType: row.resource_type, id: row.id, action: row.action, number, subscription: target.id, attempt: row.attempts, lastAttempt: row.attempts >= maxAttempts };
      const run = () => runBot(bot, { event, resource: live?.resource }, repo, this.deps.searchContext(repo.queryable, repo.tenant), this.deps.notifier);
      // a routine bot's run holds a pooled connection throughout: they take turns through the gate,
      // and the claim starts anew when the turn comes, as the wait may have outlasted it
      if (row.priority === lanePriority.urgent) return run();
      return this.deps.routineBots.run(async () => {
        if (!(await this.renewClaim(row))) throw new Superseded();
        return run();
      });
    }
    const bundle = target.topic
      ? notificationBundle({
      baseUrl: this.deps.baseUrl,
      subscriptionId: target.id,
      topic: target.topic.url,
      status: row.action === 'handshake' ? 'requested' : 'active',
      type: row.action === 'handshake' ? 'handshake' : 'event-notification',
      eventsSinceStart: row.action === 'handshake' ? 0 : number,
      events:
        row.action === 'handshake'
          ? []
          : [{ number, timestamp: row.event_at.toISOString(), resourceType: row.resource_type, id: row.id, action: row.action, resource: live?.resource }],
      content: target.content,
    })
      : undefined;
    if (target.channel.type === 'websocket') {
      // plain R4 websocket clients get "ping <id>" and read what changed; topic-based ones the Bundle
      const sent = this.deps.sockets?.send(row.tenant, target.id, bundle ? JSON.stringify(bundle) : `ping ${target.id}`) ?? 0;
      if (!sent) throw new NoListener();
      return;
    }
    if (target.channel.type === 'email') return this.sendEmail(target, row, bundle ? JSON.stringify(bundle) : (live?.json ?? undefined));
    if (!bundle) return sendRestHook(target, live, number, timeoutMs, now);
    return sendNotificationBundle(target, bundle, number, timeoutMs, now);
  }

  /**
   * An email notification to the channel's mailto: address: a line saying what happened, and the
   * notification Bundle (topic-based) or the resource (plain, with a payload) attached as JSON.
   */
  private async sendEmail(target: SubscriptionTarget, row: Claimed, attachment: string | undefined): Promise<void> {
    const email = this.deps.email;
    if (!email) throw new Error('no SMTP server is configured (SMTP_URL)');
    const what = row.action === 'handshake' ? 'handshake' : `event ${row.event_number}: ${row.resource_type}/${row.id} ${row.action}d`;
    const withPayload = attachment !== undefined && (target.topic ? target.content !== 'empty' || row.action === 'handshake' : target.channel.payload !== undefined);
    await email.send({
      to: target.channel.endpoint.replace(/^mailto:/, ''),
      subject: `Serium Subscription ${target.id}: ${what}`,
      text: `Subscription ${this.deps.baseUrl}/Subscription/${target.id}, ${what}.\n`,
      ...(withPayload ? { attachments: [{ filename: 'notification.json', content: attachment!, contentType: 'application/fhir+json' }] } : {}),
    });
  }

  /** How long a claim lasts: the request's timeout, and a margin for the bookkeeping after it. */
  private claimMs(): number {
    return this.deps.settings.timeoutMs + 5000;
  }

  /** Moves the claim's end to a full timeout from now, unless the notification was claimed again (or settled) meanwhile. */
  private async renewClaim(row: Claimed): Promise<boolean> {
    const { rowCount } = await this.dbOf(row.priority).query(
      `UPDATE subscription_delivery SET next_attempt_at = clock_timestamp() + $5 * interval '1 millisecond'
        WHERE tenant = $1 AND subscription_id = $2 AND event_number = $3 AND attempts = $4 AND status = 'pending'`,
      [row.tenant, row.subscription_id, row.event_number, row.attempts, this.claimMs()],
    );
    return rowCount === 1;
  }

  private async finish(row: Claimed, status: 'delivered' | 'dead', error?: string): Promise<void> {
    await this.dbOf(row.priority).query(
      `UPDATE subscription_delivery SET status = $4, last_error = coalesce($5, last_error),
              delivered_at = CASE WHEN $4 = 'delivered' THEN clock_timestamp() END
        WHERE tenant = $1 AND subscription_id = $2 AND event_number = $3`,
      [row.tenant, row.subscription_id, row.event_number, status, error ?? null],
    );
  }

  /**
   * Moves the Subscription from one status to the next (active after a handshake; error, with
   * the reason, when notifications keep failing: only its owner turns it back on), unless it
   * changed meanwhile.
   */
  private async setStatus(repo: Repository, id: string, from: string, to: 'active' | 'error', reason?: string): Promise<void> {
    if (reason) this.deps.log.error('subscription in error', { subscription: id, reason });
    await repo.transaction(async (tx) => {
      const now = await tx.read('Subscription', id, true);
      const s = now.resource as Subscription;
      if (s.status === from) await tx.update({ ...s, status: to, ...(reason ? { error: reason } : {}) } as Subscription, id);
    });
  }
}
