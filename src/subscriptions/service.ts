import type { Config } from '../config/config.js';
import type { Database, Queryable } from '../db/database.js';
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
import type { Topic } from './topics.js';
import type { Bot } from '../bots/bot.js';

export interface SubscriptionService {
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
): SubscriptionService {
  const sockets = new WebSocketHub({
    db,
    log,
    onBound: (tenant, id, ws) => handshakeOnSocket(new Repository(repoDeps, tenant), id, ws, topics, config.baseUrl),
  });
  sockets.attach(server);
  const email = config.smtpUrl ? smtpSender(config.smtpUrl, config.smtpFrom, config.subscriptionTimeoutMs) : undefined;
  const notifier = createNotifier({ email, gatewayUrl: config.notifyGatewayUrl, gatewayToken: config.notifyGatewayToken, timeoutMs: config.subscriptionTimeoutMs });
  const matcher = new Matcher({ db, repoDeps, searchContext, log, topics, bots: new Set(bots.keys()), urgentBots: new Set([...bots.values()].filter((b) => b.urgent).map((b) => b.id)), emailConfigured: email !== undefined });
  const deliverer = new Deliverer({
    db,
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
    routineBots: new Gate(config.botRoutineRuns),
    settings: {
      maxAttempts: config.subscriptionMaxAttempts,
      retryBaseMs: config.subscriptionRetryBaseMs,
      retryMaxMs: config.subscriptionRetryMaxMs,
      timeoutMs: config.subscriptionTimeoutMs,
    },
  });
  const heartbeats = new Heartbeats({ db, topics, baseUrl: config.baseUrl, timeoutMs: config.subscriptionTimeoutMs, log, clock: repoDeps.clock, sockets });
  const escalation = new Escalation({ repoDeps, searchContext, notifier, log, ackTimeoutMs: config.alertAckTimeoutMs, clock: repoDeps.clock });
  const delivery = new PollLoop('notification delivery', () => deliverer.deliverOnce(), log, config.subscriptionPollMs);
  // what was just queued is due now: no need to wait for the delivery loop's next round
  const thenDeliver = (match: () => Promise<number>) => async () => {
    const matched = await match();
    if (matched) delivery.poke();
    return matched;
  };
  const loops = [
    new PollLoop('urgent subscription matching', thenDeliver(() => matcher.matchUrgentOnce()), log, config.subscriptionPollMs),
    new PollLoop('subscription matching', thenDeliver(() => matcher.matchOnce()), log, config.subscriptionPollMs),
    delivery,
    new PollLoop('alert escalation', () => escalation.checkOnce(), log, config.alertCheckIntervalMs),
    new PollLoop('heartbeats', () => heartbeats.beatOnce(), log, 1000),
    // delivered notifications are kept a week for $events
    new PollLoop('delivery pruning', () => deliverer.prune(7).then(() => 0), log, 3_600_000),
  ];
  for (const loop of loops) loop.start();
  return {
    async stop() {
      await Promise.all(loops.map((l) => l.stop()));
      await deliverer.idle();
      notifier.close();
      await sockets.close();
    },
  };
}

