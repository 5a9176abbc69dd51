import { join } from 'node:path';
import { projectRoot } from '../paths.js';

/**
 * Every setting Serium reads, with its environment name, type, default and check.
 * Parsed once at start; a bad value stops the process with a message naming the variable.
 */
export interface Config {
  port: number;
  host: string;
  baseUrl: string;
  databaseUrl: string | undefined;
  dataDir: string;
  dbPoolSize: number;
  /** PostgreSQL connections of the alerts' own pool (urgent matching, sending and bots). */
  dbAlertPoolSize: number;
  /** How many runs of routine (not urgent) bots may hold a pooled connection at once. */
  botRoutineRuns: number;
  /** The longest a reading or an alert's event may wait before routine bots give way (0: never). */
  alertWaitTargetMs: number;
  maxBodyBytes: number;
  logLevel: LogLevel;
  shutdownGraceMs: number;
  analyzeAfterWrites: number;
  /** External broker; unset runs the embedded one on mqttPort. */
  mqttUrl: string | undefined;
  mqttPort: number;
  mqttClientId: string;
  mqttShareGroup: string;
  mqttTopicRoot: string;
  ingestEnabled: boolean;
  ingestBatchMax: number;
  ingestBatchWaitMs: number;
  ingestMaxMessageBytes: number;
  ingestDeviceRate: number;
  ingestDeviceBurst: number;
  ingestRegistryTtlMs: number;
  ingestPackDelayMs: number;
  ingestPackIntervalMs: number;
  subscriptionsEnabled: boolean;
  subscriptionsDir: string;
  /** The bots' folder: the install's compiled bots/ unless set. */
  botsDir?: string;
  subscriptionPollMs: number;
  subscriptionMaxAttempts: number;
  subscriptionRetryBaseMs: number;
  subscriptionRetryMaxMs: number;
  subscriptionTimeoutMs: number;
  /** Routine notifications due at once above which the main matching pass waits. */
  subscriptionRoutineBacklog: number;
  /** SMTP server for email channels; unset: email Subscriptions are refused. */
  smtpUrl: string | undefined;
  smtpFrom: string;
  /** HTTP gateway for push and SMS notifications; unset: those channels are unavailable. */
  notifyGatewayUrl: string | undefined;
  notifyGatewayToken: string | undefined;
  /** How long an urgent alert message waits for an acknowledgement before the next escalation step. */
  alertAckTimeoutMs: number;
  alertCheckIntervalMs: number;
  /** A device not heard from for this long raises a Flag and reminds the patient; the care team after the longer one. */
  deviceSilentAfterMs: number;
  deviceSilentTeamAfterMs: number;
  deviceBatteryLowPercent: number;
  deviceWatchIntervalMs: number;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must use ${protocols.join(' or ')}, got "${parsed.protocol}"`);
  }
  return raw.replace(/\/+$/, '');
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(on|true|1|yes)$/i.test(raw)) return true;
  if (/^(off|false|0|no)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be on or off, got "${raw}"`);
}

/** A name used as one MQTT topic level: no slash or wildcard. Empty is allowed. */
function topicLevel(env: Env, name: string, fallback: string): string {
  const raw = env[name] ?? fallback;
  if (/[/+#]/.test(raw)) throw new ConfigError(`${name} must not contain /, + or #, got "${raw}"`);
  return raw;
}

/** Parses sizes such as "5mb", "512kb" or a plain byte count. */
function bytes(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const match = /^(\d+)\s*(b|kb|mb)?$/i.exec(raw.trim());
  if (!match) throw new ConfigError(`${name} must be a size such as 5mb or 512kb, got "${raw}"`);
  const factor = { b: 1, kb: 1024, mb: 1024 * 1024 }[(match[2] ?? 'b').toLowerCase() as 'b' | 'kb' | 'mb'];
  return Number(match[1]) * factor;
}

export function loadConfig(env: Env = process.env): Config {
  const port = integer(env, 'PORT', 8080, 0, 65535);
  const host = env.HOST || '0.0.0.0';
  const baseUrl = url(env, 'BASE_URL', ['http:', 'https:']) ?? `http://localhost:${port}/fhir`;
  const dbPoolSize = integer(env, 'DB_POOL_SIZE', 10, 1, 200);
  // a quarter of the pool by default: aggregates take turns, readings and alerts do not wait
  const botRoutineRuns = integer(env, 'BOT_ROUTINE_RUNS', Math.max(1, Math.floor(dbPoolSize / 4)), 1, 200);
  if (dbPoolSize > 1 && botRoutineRuns >= dbPoolSize) throw new ConfigError(`BOT_ROUTINE_RUNS must be below DB_POOL_SIZE (${dbPoolSize}), so alerts and readings always find a connection; got ${botRoutineRuns}`);
  return {
    port,
    host,
    baseUrl,
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDir: env.DATA_DIR || './data',
    dbPoolSize,
    dbAlertPoolSize: integer(env, 'DB_ALERT_POOL_SIZE', 3, 1, 50),
    botRoutineRuns,
    alertWaitTargetMs: integer(env, 'ALERT_WAIT_TARGET_MS', 200, 0, 60_000),
    maxBodyBytes: bytes(env, 'MAX_BODY_SIZE', 10 * 1024 * 1024),
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', ['debug', 'info', 'warn', 'error'] as const),
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 10000, 0, 600000),
    analyzeAfterWrites: integer(env, 'ANALYZE_AFTER_WRITES', 1000, 0, 100_000_000),
    mqttUrl: url(env, 'MQTT_URL', ['mqtt:', 'mqtts:']),
    mqttPort: integer(env, 'MQTT_PORT', 1884, 0, 65535),
    mqttClientId: env.MQTT_CLIENT_ID ?? '',
    mqttShareGroup: topicLevel(env, 'MQTT_SHARE_GROUP', ''),
    mqttTopicRoot: topicLevel(env, 'MQTT_TOPIC_ROOT', 'serium') || 'serium',
    ingestEnabled: flag(env, 'INGEST', true),
    ingestBatchMax: integer(env, 'INGEST_BATCH_MAX', 500, 1, 65535),
    ingestBatchWaitMs: integer(env, 'INGEST_BATCH_WAIT_MS', 20, 0, 10_000),
    ingestMaxMessageBytes: bytes(env, 'INGEST_MAX_MESSAGE_SIZE', 256 * 1024),
    ingestDeviceRate: integer(env, 'INGEST_DEVICE_RATE', 50, 0, 1_000_000),
    ingestDeviceBurst: integer(env, 'INGEST_DEVICE_BURST', 300_000, 1, 100_000_000),
    ingestRegistryTtlMs: integer(env, 'INGEST_REGISTRY_TTL_MS', 5000, 0, 3_600_000),
    ingestPackDelayMs: integer(env, 'INGEST_PACK_DELAY_MS', 15_000, 0, 86_400_000),
    ingestPackIntervalMs: integer(env, 'INGEST_PACK_INTERVAL_MS', 2000, 50, 3_600_000),
    subscriptionsEnabled: flag(env, 'SUBSCRIPTIONS', true),
    subscriptionsDir: env.SUBSCRIPTIONS_DIR || join(projectRoot(), 'subscriptions'),
    botsDir: env.BOTS_DIR || undefined,
    subscriptionPollMs: integer(env, 'SUBSCRIPTION_POLL_MS', 200, 10, 60_000),
    subscriptionMaxAttempts: integer(env, 'SUBSCRIPTION_MAX_ATTEMPTS', 10, 1, 1000),
    subscriptionRetryBaseMs: integer(env, 'SUBSCRIPTION_RETRY_BASE_MS', 1000, 1, 3_600_000),
    subscriptionRetryMaxMs: integer(env, 'SUBSCRIPTION_RETRY_MAX_MS', 3_600_000, 1, 86_400_000),
    subscriptionTimeoutMs: integer(env, 'SUBSCRIPTION_TIMEOUT_MS', 10_000, 100, 600_000),
    subscriptionRoutineBacklog: integer(env, 'SUBSCRIPTION_ROUTINE_BACKLOG', 2000, 1, 10_000_000),
    smtpUrl: url(env, 'SMTP_URL', ['smtp:', 'smtps:']),
    smtpFrom: env.SMTP_FROM || 'serium@localhost',
    notifyGatewayUrl: url(env, 'NOTIFY_GATEWAY_URL', ['http:', 'https:']),
    notifyGatewayToken: env.NOTIFY_GATEWAY_TOKEN || undefined,
    alertAckTimeoutMs: integer(env, 'ALERT_ACK_TIMEOUT_MS', 15 * 60_000, 1000, 86_400_000),
    alertCheckIntervalMs: integer(env, 'ALERT_CHECK_INTERVAL_MS', 30_000, 50, 3_600_000),
    deviceSilentAfterMs: integer(env, 'DEVICE_SILENT_AFTER_MS', 24 * 3_600_000, 1000, 30 * 86_400_000),
    deviceSilentTeamAfterMs: integer(env, 'DEVICE_SILENT_TEAM_AFTER_MS', 72 * 3_600_000, 1000, 90 * 86_400_000),
    deviceBatteryLowPercent: integer(env, 'DEVICE_BATTERY_LOW_PERCENT', 20, 0, 100),
    deviceWatchIntervalMs: integer(env, 'DEVICE_WATCH_INTERVAL_MS', 5 * 60_000, 50, 86_400_000),
  };
}
