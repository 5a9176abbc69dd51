import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { Config } from './config/config.js';
import { connectPostgres, type Database, type Queryable } from './db/database.js';
import { startEmbedded } from './db/embedded.js';
import { migrate } from './db/migrate.js';
import { loadConformance } from './fhir/conformance.js';
import { Validator } from './fhir/validator.js';
import { buildCapabilityStatement } from './http/capability-statement.js';
import type { Logger } from './logger.js';
import { projectRoot } from './paths.js';
import { Indexer } from './search/index-values.js';
import { StatisticsKeeper } from './db/statistics.js';
import { buildApp } from './app.js';
import { startIngest, type IngestService } from './ingest/service.js';
import { startSubscriptions, type SubscriptionService } from './subscriptions/service.js';
import { AlertWaits } from './subscriptions/alert-waits.js';
import { loadTopics } from './subscriptions/topics.js';
import { installSubscriptions } from './subscriptions/install.js';
import { startDeviceWatch, type DeviceWatchService } from './alerting/device-watch.js';
import { ensureBotDevices, loadBots } from './bots/runtime.js';
import { ensureCheckInQuestionnaire } from './bots/news2-check-in.js';
import { Repository } from './repository/repository.js';
import { defaultTenant } from './tenant.js';

export interface Running {
  server: Server;
  db: Database;
  /** The MQTT ingest, unless INGEST=off. */
  ingest: IngestService | undefined;
  /** Subscription matching and delivery, unless SUBSCRIPTIONS=off. */
  subscriptions: SubscriptionService | undefined;
  /** The port actually bound (useful when PORT=0). */
  port: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  clock?: () => Date;
  newId?: () => string;
}

/** Start order: definitions → database (embedded or external) → migrations → HTTP → subscriptions → MQTT ingest. */
export async function startServer(config: Config, log: Logger, opts: StartOptions = {}): Promise<Running> {
  // Definitions first: they need no database, and a failure here leaves nothing open.
  const { local, defs, terminology } = loadConformance();
  const validator = new Validator(terminology, local.profiles);
  const indexer = new Indexer(defs, config.baseUrl, terminology);
  const version = (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  const topics = loadTopics();
  const capabilityStatement = buildCapabilityStatement(defs, config.baseUrl, version, [...local.profiles.keys()], [...topics.keys()]);

  const db = config.databaseUrl ? connectPostgres(config.databaseUrl, config.dbPoolSize) : await startEmbedded(config.dataDir);
  log.info('database connected', { kind: db.kind, ...(db.kind === 'embedded' ? { dataDir: config.dataDir } : {}) });
  let stopping = false;
  let started = false;
  let server: Server;
  let ingest: IngestService | undefined;
  let subscriptions: SubscriptionService | undefined;
  let deviceWatch: DeviceWatchService | undefined;
  const statistics = new StatisticsKeeper(db, log, config.analyzeAfterWrites);
  try {
    await migrate(db, log);
    const repoDeps = { db, validator, indexer, statistics, clock: opts.clock ?? (() => new Date()), newId: opts.newId ?? randomUUID, outbox: config.subscriptionsEnabled };
    const app = buildApp({
      config,
      db,
      defs,
      validator,
      log,
      capabilityStatement,
      isStopping: () => stopping,
      isStarted: () => started,
      repoDeps,
      metrics: () => (ingest?.counters.text() ?? '') + (subscriptions?.metrics() ?? ''),
    });
    server = await new Promise<Server>((resolve, reject) => {
      // Express 5 hands a listen error (port in use) to this callback instead of throwing.
      const s = app.listen(config.port, config.host, (err?: Error) => (err ? reject(err) : resolve(s)));
    });
    // the ingest and the urgent lane record their waits; the routine bots give way when they grow
    const waits = new AlertWaits();
    if (config.subscriptionsEnabled) {
      const bots = await loadBots(config.botsDir);
      await ensureBotDevices(new Repository(repoDeps, defaultTenant), bots);
      await ensureCheckInQuestionnaire(new Repository(repoDeps, defaultTenant));
      await installSubscriptions(new Repository(repoDeps, defaultTenant), config.subscriptionsDir, log);
      const searchContext = (q: Queryable, tenant: string) => ({ q, tenant, defs, baseUrl: config.baseUrl, terminology });
      deviceWatch = await startDeviceWatch(config, repoDeps, searchContext, log);
      subscriptions = startSubscriptions(config, db, repoDeps, searchContext, topics, bots, server, log, waits);
    }
    if (config.ingestEnabled) {
      try {
        ingest = await startIngest(config, db, repoDeps, log, waits);
      } catch (err) {
        await deviceWatch?.stop();
        await subscriptions?.stop();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        throw err;
      }
    }
  } catch (err) {
    // a failed migration, a port in use or an unreachable broker must not leave the pool or the embedded database open
    await db.close();
    throw err;
  }
  server.keepAliveTimeout = 65000;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info('listening', { url: `http://${config.host}:${port}/fhir`, baseUrl: config.baseUrl });
  started = true;

  return {
    server,
    db,
    ingest,
    subscriptions,
    port,
    async stop() {
      stopping = true;
      await ingest?.stop();
      await deviceWatch?.stop();
      await subscriptions?.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        const timer = setTimeout(() => {
          server.closeAllConnections();
          resolve();
        }, config.shutdownGraceMs);
        timer.unref();
      });
      await statistics.idle();
      await db.close();
      log.info('stopped');
    },
  };
}
