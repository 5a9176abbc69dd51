import type { Config } from '../config/config.js';
import { connectPostgres, type Database, type Queryable } from '../db/database.js';
import type { Logger } from '../logger.js';
import { PollLoop } from '../poll-loop.js';
import type { Server } from 'node:http';
import { Repository, type RepositoryDeps } from '../repository/repository.js';
import { handshakeOnSocket } from './websocket-handshake.js';
import { WebSocketHub } from './websocket-hub.js';
import type { SearchContext } from '../search/search.js';
import { Deliverer } from './deliverer.js';
import { Heartbeats } from './heartbeat.js';
import { smtpSender } from '../notify/email.js';
import { createNotifier } from '../notify/notifier.js';
import { Escalation } from '../alerting/escalation.js';
import { Matcher } from './matcher.js';
import { Gate } from './gate.js';
import { routinePlaces, type AlertWaits } from './alert-waits.js';
import type { Topic } from './topics.js';
import type { Bot } from '../bots/bot.js';

export interface SubscriptionService {
  /** Prometheus text: how many routine bot runs may go on now, and the longest alert wait of the last second. */
  metrics(): string;
  stop(): Promise<void>;
}

/** The matcher (outbox to deliveries) and the deliverer (deliveries to endpoints), each in its own loop. */
export function startSubscriptions(
  config: Config,
  db: Database,
  repoDeps: RepositoryDeps,
  searchContext: (q: Queryable, tenant: string) => SearchContext,
  topics: ReadonlyMap<string, Topic>,
  bots: ReadonlyMap<string, Bot>,
  server: Server,
  log: Logger,
  waits: AlertWaits,
): SubscriptionService {
  const sockets = new WebSocketHub({
    db,
    log,
    onBound: (tenant, id, ws) => handshakeOnSocket(new Repository(repoDeps, tenant), id, ws, topics, config.baseUrl),
  });
  sockets.attach(server);
  const email = config.smtpUrl ? smtpSender(config.smtpUrl, config.smtpFrom, config.subscriptionTimeoutMs) : undefined;
  const notifier = createNotifier({ email, gatewayUrl: config.notifyGatewayUrl, gatewayToken: config.notifyGatewayToken, timeoutMs: config.subscriptionTimeoutMs });
  // the alerts' own connections: matching, claiming and running urgent bots never queue behind the rest
  const urgentDb = config.databaseUrl ? connectPostgres(config.databaseUrl, config.dbAlertPoolSize) : db;
  const matcher = new Matcher({ db, urgentDb, repoDeps, searchContext, log, topics, bots: new Set(bots.keys()), urgentBots: new Set([...bots.values()].filter((b) => b.urgent).map((b) => b.id)), emailConfigured: email !== undefined });
  const routineBots = new Gate(config.botRoutineRuns);
  let lastWorst = 0;
  const deliverer = new Deliverer({
    db,
    urgentDb,
    repoDeps,
    log,
    clock: repoDeps.clock,
    topics,
    baseUrl: config.baseUrl,
    bots,
    searchContext,
    email,
    notifier,
    sockets,
    routineBots,
    waits,
    settings: {
      maxAttempts: config.subscriptionMaxAttempts,
      retryBaseMs: config.subscriptionRetryBaseMs,
      retryMaxMs: config.subscriptionRetryMaxMs,
      timeoutMs: config.subscriptionTimeoutMs,
    },
  });
  const heartbeats = new Heartbeats({ db, topics, baseUrl: config.baseUrl, timeoutMs: config.subscriptionTimeoutMs, log, clock: repoDeps.clock, sockets });
  const escalation = new Escalation({ repoDeps, searchContext, notifier, log, ackTimeoutMs: config.alertAckTimeoutMs, clock: repoDeps.clock });
  // an emergency reading should not wait a whole poll: the urgent loops look every 50 ms at most
  const urgentPollMs = Math.min(50, config.subscriptionPollMs);
  const urgentDelivery = new PollLoop('urgent notification delivery', () => deliverer.deliverOnce('urgent'), log, urgentPollMs);
  const delivery = new PollLoop('notification delivery', () => deliverer.deliverOnce('endpoints'), log, config.subscriptionPollMs);
  const botDelivery = new PollLoop('bot notification delivery', () => deliverer.deliverOnce('bots'), log, config.subscriptionPollMs);
  // what was just queued is due now: no need to wait for the delivery loops' next round
  const thenDeliver = (match: () => Promise<number>, ...loops: PollLoop[]) => async () => {
    const matched = await match();
    if (matched) for (const loop of loops) loop.poke();
    return matched;
  };
  const loops = [
    new PollLoop('urgent subscription matching', thenDeliver(() => matcher.matchUrgentOnce(), urgentDelivery), log, urgentPollMs),
    new PollLoop('subscription matching', thenDeliver(() => matcher.matchOnce(200, config.subscriptionRoutineBacklog), urgentDelivery, delivery, botDelivery), log, config.subscriptionPollMs),
    urgentDelivery,
    delivery,
    botDelivery,
    // once a second, the routine bots' gate follows the alerts' waits
    new PollLoop('routine bot gate', async () => {
      lastWorst = waits.takeWorst();
      if (config.alertWaitTargetMs) routineBots.narrow(routinePlaces(routineBots.places, lastWorst, config.alertWaitTargetMs));
      return 0;
    }, log, 1000),
    new PollLoop('alert escalation', () => escalation.checkOnce(), log, config.alertCheckIntervalMs),
    new PollLoop('heartbeats', () => heartbeats.beatOnce(), log, 1000),
    // delivered notifications are kept a week for $events
    new PollLoop('delivery pruning', () => deliverer.prune(7).then(() => 0), log, 3_600_000),
  ];
  for (const loop of loops) loop.start();
  return {
    metrics: () =>
      [
        '# TYPE serium_routine_bot_places gauge',
        `serium_routine_bot_places ${routineBots.places}`,
        '# TYPE serium_alert_wait_worst_ms gauge',
        `serium_alert_wait_worst_ms ${Math.round(lastWorst)}`,
      ].join('\n') + '\n',
    async stop() {
      await Promise.all(loops.map((l) => l.stop()));
      await deliverer.idle();
      notifier.close();
      await sockets.close();
      if (urgentDb !== db) await urgentDb.close();
    },
  };
}

