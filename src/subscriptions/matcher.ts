import type { Subscription } from '@medplum/fhirtypes';
import type { Database, Queryable } from '../db/database.js';
import type { Logger } from '../logger.js';
import { Repository, type RepositoryDeps } from '../repository/repository.js';
import { currentVersionJoin, versionColumns, fromRecord, type VersionRecord } from '../repository/stored.js';
import { search, type SearchContext } from '../search/search.js';
import { criteriaFor, subscriptionTarget, type SubscriptionTarget } from './subscription.js';
import type { Topic } from './topics.js';
import { laneOf, lanePriority } from './lanes.js';

interface EventRow {
  seq: string;
  tenant: string;
  resource_type: string;
  id: string;
  version_id: string;
  action: string;
  at: Date;
  /** Already matched against the urgent Subscriptions by their own pass. */
  urgent_matched: boolean;
}

/** Channel types Serium delivers on. */
export const supportedChannels = new Set(['rest-hook', 'email', 'websocket']);

export interface MatcherDeps {
  db: Database;
  /** Connections of the urgent pass alone (the shared pool when there is only one). */
  urgentDb: Database;
  topics: ReadonlyMap<string, Topic>;
  /** Bots a Subscription can name as its endpoint (Bot/<id>). */
  bots: ReadonlySet<string>;
  /** Bots whose notifications are claimed before the others (Bot.urgent). */
  urgentBots: ReadonlySet<string>;
  /** Whether email channels can be delivered (an SMTP server is configured). */
  emailConfigured: boolean;
  repoDeps: RepositoryDeps;
  searchContext: (q: Queryable, tenant: string) => SearchContext;
  log: Logger;
}

/**
 * Reads the outbox: takes a batch of events (FOR UPDATE SKIP LOCKED, so replicas share the
 * work), matches each against the active Subscriptions of its tenant by running the
 * Subscription's criteria restricted to the resource's id, records one delivery per match with
 * the Subscription's next event number, and deletes the events, all in one transaction. A crash
 * before the commit leaves the events for the next round.
 *
 * The Subscriptions of urgent bots (the alert rules and the messages they send) have a pass of
 * their own, `matchUrgentOnce`, which takes the events not yet matched for them, records their
 * deliveries and marks the events: a backlog of aggregate events never delays an alert. The main
 * pass, `matchOnce`, leaves them out for marked events.
 */
export class Matcher {
  constructor(private readonly deps: MatcherDeps) {}

  /**
   * Matches up to `limit` events against every Subscription and deletes them; returns how many
   * were taken. While more than `routineBacklog` routine notifications are due, it waits: they would
   * only queue, and the searches that make them take the database from the ingest and the alerts.
   * The events wait in the outbox meanwhile; the urgent pass goes on.
   */
  async matchOnce(limit = 200, routineBacklog = 2000): Promise<number> {
    const { rows: due } = await this.deps.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM subscription_delivery
        WHERE status = 'pending' AND priority < $2 AND next_attempt_at <= clock_timestamp() LIMIT $1) d`,
      [routineBacklog + 1, lanePriority.urgent],
      { prepare: true },
    );
    if (due[0].n > routineBacklog) return 0;
    return this.deps.db.transaction(async (tx) => {
      const events = await this.take(tx, 'ORDER BY seq', limit);
      if (!events.length) return 0;
      for (const tenant of [...new Set(events.map((e) => e.tenant))]) {
        const subscriptions = await this.activate(new Repository(this.deps.repoDeps, tenant, tx, true));
        const mine = events.filter((e) => e.tenant === tenant);
        await this.matchAll(tx, tenant, subscriptions, (s) => (this.isUrgent(s) ? mine.filter((e) => !e.urgent_matched) : mine));
      }
      await tx.query('DELETE FROM resource_event WHERE seq = ANY($1::bigint[])', [events.map((e) => e.seq)]);
      return events.length;
    });
  }

  /**
   * Matches up to `limit` events not yet matched for the urgent Subscriptions against those, and
   * marks them; returns how many were taken. A tenant with an urgent Subscription still to be
   * activated is left to the main pass, which activates it.
   */
  async matchUrgentOnce(limit = 200): Promise<number> {
    return this.deps.urgentDb.transaction(async (tx) => {
      const events = await this.take(tx, 'WHERE NOT urgent_matched ORDER BY seq', limit);
      const done: string[] = [];
      for (const tenant of [...new Set(events.map((e) => e.tenant))]) {
        const current = (await this.current(new Repository(this.deps.repoDeps, tenant, tx, true))).filter(({ target }) => typeof target !== 'string' && this.isUrgent(target));
        if (current.some(({ resource }) => resource.status === 'requested')) continue;
        const mine = events.filter((e) => e.tenant === tenant);
        const taking = current.flatMap(({ resource, target }) => (typeof target !== 'string' && (resource.status === 'active' || resource.status === 'error') ? [target] : []));
        await this.matchAll(tx, tenant, taking, () => mine);
        done.push(...mine.map((e) => e.seq));
      }
      if (done.length) await tx.query('UPDATE resource_event SET urgent_matched = true WHERE seq = ANY($1::bigint[])', [done]);
      return done.length;
    });
  }

  private async take(tx: Queryable, where: string, limit: number): Promise<EventRow[]> {
    const { rows } = await tx.query<EventRow>(
      `SELECT seq, tenant, resource_type, id, version_id, action, at, urgent_matched FROM resource_event ${where} LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    return rows;
  }

  /** Records the deliveries of each Subscription for the events `eventsFor` gives it. */
  private async matchAll(tx: Queryable, tenant: string, subscriptions: SubscriptionTarget[], eventsFor: (s: SubscriptionTarget) => EventRow[]): Promise<void> {
    const ctx = this.deps.searchContext(tx, tenant);
    // Subscriptions in id order, so two matchers lock their counters in the same order
    for (const s of [...subscriptions].sort((a, b) => a.id.localeCompare(b.id))) {
      const events = eventsFor(s);
      if (!events.length) continue;
      for (const event of await this.matching(ctx, s, events)) await this.enqueue(tx, tenant, s, event);
    }
  }

  /** A Subscription whose endpoint is an urgent bot. */
  private isUrgent(s: SubscriptionTarget): boolean {
    return laneOf(s, this.deps.urgentBots) === 'urgent';
  }

  /**
   * The events of the batch that match the Subscription, in outbox order: one search per
   * resource type and criteria, restricted to the ids of the batch (none when a topic has no
   * filter for the type). The criteria see each resource as it is when the matcher runs.
   */
  private async matching(ctx: SearchContext, s: SubscriptionTarget, events: EventRow[]): Promise<EventRow[]> {
    const groups = new Map<string, { params: URLSearchParams; events: EventRow[] }>();
    for (const e of events) {
      const params = criteriaFor(s, e.resource_type, e.action);
      if (!params) continue;
      const key = `${e.resource_type}?${params}`;
      const group = groups.get(key) ?? { params, events: [] };
      group.events.push(e);
      groups.set(key, group);
    }
    const matched = new Set<string>();
    for (const { params, events: group } of groups.values()) {
      const type = group[0].resource_type;
      // a deleted resource is no longer searchable: it matches only criteria with no filter
      const live = group.filter((e) => e.action !== 'delete');
      for (const e of group) if (e.action === 'delete' && ![...params.keys()].length) matched.add(e.seq);
      if (!live.length) continue;
      if (s.topic && ![...params.keys()].length) {
        for (const e of live) matched.add(e.seq);
        continue;
      }
      const ids = [...new Set(live.map((e) => e.id))];
      try {
        const found = await search(ctx, { resourceType: type, params: probe(params, ids), strict: true, maxCount: ids.length });
        const hit = new Set(found.entries.map((x) => x.id));
        for (const e of live) if (hit.has(e.id)) matched.add(e.seq);
      } catch (err) {
        this.deps.log.warn('subscription criteria failed', { subscription: s.id, error: (err as Error).message });
      }
    }
    return events.filter((e) => matched.has(e.seq));
  }

  /**
   * The tenant's Subscriptions that take events: active ones, and those in error, whose events
   * are recorded (dead, numbered) so the client sees the gap and can fetch them with $events or
   * have them sent again with $replay. A requested one is checked first: a channel Serium
   * delivers on and criteria it can run make it active (a topic-based one once its endpoint has
   * answered the handshake, queued here as notification 0 for each version that asks for one);
   * otherwise it turns to error, saying why.
   */
  private async activate(repo: Repository): Promise<SubscriptionTarget[]> {
    const taking: SubscriptionTarget[] = [];
    for (const { resource, target, versionId } of await this.current(repo)) {
      if ((resource.status === 'active' || resource.status === 'error') && typeof target !== 'string') taking.push(target);
      if (resource.status !== 'requested') continue;
      const problem = typeof target === 'string' ? target : await this.problemWith(repo, target);
      if (problem) {
        await repo.update({ ...resource, status: 'error', error: problem }, resource.id);
        this.deps.log.info('subscription refused', { id: resource.id, problem });
      } else if (typeof target !== 'string' && target.topic && target.channel.type !== 'websocket') {
        await this.askHandshake(repo, resource, versionId);
      } else {
        await repo.update({ ...resource, status: 'active' }, resource.id);
        this.deps.log.info('subscription activated', { id: resource.id });
        if (typeof target !== 'string') taking.push({ ...target, status: 'active' });
      }
    }
    return taking;
  }

  /** The tenant's Subscriptions as they are now, each with what Serium makes of it (or why it cannot take it). */
  private async current(repo: Repository): Promise<{ resource: Subscription & { id: string }; target: SubscriptionTarget | string; versionId: number }[]> {
    const { rows } = await repo.queryable.query<VersionRecord>(
      `SELECT ${versionColumns} FROM resource r ${currentVersionJoin}
        WHERE r.tenant = $1 AND r.resource_type = 'Subscription' AND NOT r.deleted`,
      [repo.tenant],
      { prepare: true },
    );
    return rows.map(fromRecord).map((stored) => {
      const resource = stored.resource as Subscription & { id: string };
      return { resource, target: subscriptionTarget(resource, this.deps.topics), versionId: stored.versionId };
    });
  }

  /**
   * Queues the handshake of this version of a requested topic-based Subscription (again when a
   * later version asks anew), and activates it when the handshake of this version was answered
   * but the process stopped before it could say so.
   */
  private async askHandshake(repo: Repository, resource: Subscription & { id: string }, versionId: number): Promise<void> {
    const { rows } = await repo.queryable.query<{ status: string; version_id: string }>(
      `INSERT INTO subscription_delivery (tenant, subscription_id, event_number, resource_type, id, version_id, action, event_at)
       VALUES ($1, $2, 0, 'Subscription', $2, $3, 'handshake', clock_timestamp())
       ON CONFLICT (tenant, subscription_id, event_number) DO UPDATE
          SET status = 'pending', attempts = 0, next_attempt_at = clock_timestamp(), last_error = NULL, version_id = EXCLUDED.version_id
        WHERE subscription_delivery.version_id < EXCLUDED.version_id
       RETURNING status, version_id`,
      [repo.tenant, resource.id, versionId],
    );
    if (rows.length) return; // queued now
    const { rows: done } = await repo.queryable.query<{ status: string }>(
      `SELECT status FROM subscription_delivery WHERE tenant = $1 AND subscription_id = $2 AND event_number = 0 AND version_id = $3`,
      [repo.tenant, resource.id, versionId],
    );
    if (done[0]?.status === 'delivered') await repo.update({ ...resource, status: 'active' }, resource.id);
  }

  private async problemWith(repo: Repository, target: SubscriptionTarget): Promise<string | undefined> {
    const bot = /^Bot\/(.+)$/.exec(target.channel.endpoint)?.[1];
    if (bot !== undefined) {
      // a bot runs in the server: rest-hook or message both name it
      if (!this.deps.bots.has(bot)) return `there is no bot ${bot}`;
      if (!['rest-hook', 'message'].includes(target.channel.type)) return `a bot endpoint needs channel type rest-hook or message, not ${target.channel.type}`;
    } else if (target.channel.type === 'websocket') {
      // no endpoint: clients bind with a token from $get-ws-binding-token
    } else if (target.channel.type === 'email') {
      if (!this.deps.emailConfigured) return 'email channels need an SMTP server, and this server has none (SMTP_URL)';
      if (!/^mailto:[^@\s]+@[^@\s]+$/.test(target.channel.endpoint)) return 'an email channel endpoint must be mailto:<address>';
    } else {
      if (!supportedChannels.has(target.channel.type)) return `channel type ${target.channel.type || '(none)'} is not supported; use rest-hook, websocket or email`;
      if (!/^https?:\/\//.test(target.channel.endpoint)) return 'channel.endpoint must be an http or https URL, or Bot/<id>';
    }
    const searches = target.topic ? [...target.filters] : [[target.resourceType, target.params] as const];
    for (const [resourceType, params] of searches) {
      try {
        await search(this.deps.searchContext(repo.queryable, repo.tenant), { resourceType, params: probe(params, ['-']), strict: true });
      } catch (err) {
        return `criteria cannot be searched: ${(err as Error).message}`;
      }
    }
    return undefined;
  }

  private async enqueue(tx: Queryable, tenant: string, s: SubscriptionTarget, e: EventRow): Promise<void> {
    await tx.query(
      `WITH n AS (
         INSERT INTO subscription_state (tenant, subscription_id, events) VALUES ($1, $2, 1)
         ON CONFLICT (tenant, subscription_id) DO UPDATE SET events = subscription_state.events + 1
         RETURNING events)
       INSERT INTO subscription_delivery (tenant, subscription_id, event_number, resource_type, id, version_id, action, event_at, status, last_error, priority)
       SELECT $1, $2, n.events, $3, $4, $5, $6, $7, $8, $9, $10 FROM n`,
      [
        tenant,
        s.id,
        e.resource_type,
        e.id,
        e.version_id,
        e.action,
        e.at,
        s.status === 'error' ? 'dead' : 'pending',
        s.status === 'error' ? 'the Subscription was in error' : null,
        lanePriority[laneOf(s, this.deps.urgentBots)],
      ],
      { prepare: true },
    );
  }
}

/** The criteria restricted to some resource ids: a match is a search that finds it. */
function probe(criteria: URLSearchParams, ids: string[]): URLSearchParams {
  const params = new URLSearchParams(criteria);
  params.set('_id', ids.join(','));
  params.set('_count', String(ids.length));
  params.set('_total', 'none');
  return params;
}
