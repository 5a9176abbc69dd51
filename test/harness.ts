import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Client } from 'fhir-kit-client';
import { loadConfig } from '../src/config/config.js';
import { silentLogger } from '../src/logger.js';
import { startServer, type Running, type StartOptions } from '../src/server.js';
import { databaseUrl, ensureTemplate, runPrefix, templateName, withAdmin } from './test-database.js';

export interface TestServer {
  baseUrl: string;
  client: Client;
  running: Running;
  /** Raw fetch against the FHIR base: for headers and malformed input a client would not send. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

/** Starts Serium on a fresh database cloned from the migrated template, on a free port. */
export async function startTestServer(env: Record<string, string> = {}, opts: StartOptions = {}): Promise<TestServer> {
  await ensureTemplate();
  const name = `${runPrefix}_${randomBytes(6).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${templateName}`));
  const port = await freePort();
  const config = loadConfig({ PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: databaseUrl(name), DB_POOL_SIZE: '4', ...env });
  const running = await startServer(config, silentLogger, opts);
  const baseUrl = config.baseUrl;
  return {
    baseUrl,
    client: new Client({ baseUrl }),
    running,
    fetch: (path, init) => fetch(path.startsWith('http') ? path : `${baseUrl}/${path.replace(/^\//, '')}`, init),
    async stop() {
      await running.stop();
      await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

export const fhirJson = { 'content-type': 'application/fhir+json' };

/** A port nobody listens on now (the base URL must name the port before the server starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.once('error', reject);
  });
}
