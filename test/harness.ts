import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Client } from 'fhir-kit-client';
import { loadConfig } from '../src/config/config.js';
import { createLogger, silentLogger } from '../src/logger.js';
import { startServer, type Running, type StartOptions } from '../src/server.js';
import { databaseUrl, ensureTemplate, runPrefix, templateName, withAdmin } from './test-database.js';

export interface TestServer {
  baseUrl: string;
  client: Client;
  running: Running;
  /** The PostgreSQL database this server runs on. */
  databaseName: string;
  /** Raw fetch against the FHIR base: for headers and malformed input a client would not send. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

/** Starts Serium on a fresh database cloned from the migrated template, on a free port. */
export async function startTestServer(env: Record<string, string> = {}, opts: StartOptions = {}): Promise<TestServer> {
  await ensureTemplate();
  const name = `${runPrefix}_${randomBytes(6).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${templateName}`));
  return serveDatabase(name, env, opts);
}

/** Serium on an existing database `name`, on a free port; stop() drops the database unless told to keep it. */
export async function serveDatabase(
  name: string,
  env: Record<string, string> = {},
  opts: StartOptions = {},
): Promise<TestServer & { stop(keep?: boolean): Promise<void> }> {
  const port = await freePort();
  // the MQTT ingest and subscription delivery are off unless a test asks for them
  const config = loadConfig({ PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: databaseUrl(name), DB_POOL_SIZE: '4', INGEST: 'off', SUBSCRIPTIONS: 'off', ...env });
  // TEST_LOG=debug|info|warn|error shows the servers' logs on stderr
  const log = process.env.TEST_LOG ? createLogger(loadConfig({ LOG_LEVEL: process.env.TEST_LOG }).logLevel, (l) => process.stderr.write(l)) : silentLogger;
  const running = await startServer(config, log, opts);
  const baseUrl = config.baseUrl;
  return {
    baseUrl,
    databaseName: name,
    client: new Client({ baseUrl }),
    running,
    fetch: (path, init) => fetch(path.startsWith('http') ? path : `${baseUrl}/${path.replace(/^\//, '')}`, init),
    async stop(keep = false) {
      await running.stop();
      if (!keep) await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

export const fhirJson = { 'content-type': 'application/fhir+json' };

/** A raw HTTP reply: status, headers, text and the parsed JSON body. */
export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

/**
 * One raw HTTP call to the FHIR base. An object body is sent as JSON, a string body as it is;
 * a body gets Content-Type application/fhir+json unless headers name another.
 */
export async function call(srv: TestServer, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await srv.fetch(path, {
    method,
    headers: { ...(body !== undefined ? fhirJson : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : undefined };
}

/** Creates a resource with its own id by PUT and asserts it was created (201). */
export async function put(srv: TestServer, resource: { resourceType: string; id: string } & Record<string, unknown>): Promise<void> {
  const r = await call(srv, 'PUT', `${resource.resourceType}/${resource.id}`, resource);
  expect(r.status).toBe(201);
}

/** Asserts an error OperationOutcome, with the given issue code when one is named. */
export function expectOutcome(r: Reply, code?: string): void {
  expect(r.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
  const oo = r.body as { resourceType?: string; issue?: { severity?: string; code?: string }[] };
  expect(oo.resourceType).toBe('OperationOutcome');
  expect(oo.issue?.[0]?.severity).toBe('error');
  if (code) expect(oo.issue?.[0]?.code).toBe(code);
}

/** A port nobody listens on now (the base URL must name the port before the server starts). */
/**
 * A port nobody listens on, picked below the kernel's ephemeral range (32768 and up): outgoing
 * connections and `listen(0)` never take such a port, so a server that restarts on it finds it free.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/** Settings for a server that installs none of subscriptions/: no bot runs, so only the test's own writes make events. */
export const withoutBots = { SUBSCRIPTIONS_DIR: fileURLToPath(new URL('./fixtures/no-subscriptions/', import.meta.url)) };

/** Polls until fn returns something truthy and returns it; fails the test when the time is up. */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, ms = 15000, every = 100): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const last = await fn();
    if (last) return last;
    if (Date.now() >= until) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, every));
  }
}
