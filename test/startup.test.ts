import { loadConfig } from '../src/config/config.js';
import { silentLogger } from '../src/logger.js';
import { startServer } from '../src/server.js';
import { startTestServer, type TestServer } from './harness.js';
import { databaseUrl, ensureTemplate, runPrefix, templateName, withAdmin } from './test-database.js';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => srv?.stop());

test('a server whose port is taken fails to start and closes its database pool', async () => {
  const name = `${runPrefix}_porttaken`;
  await ensureTemplate();
  await withAdmin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${templateName}`));
  try {
    const taken = new URL(srv.baseUrl).port;
    const config = loadConfig({ PORT: taken, HOST: '127.0.0.1', DATABASE_URL: databaseUrl(name), DB_POOL_SIZE: '1' });
    await expect(startServer(config, silentLogger)).rejects.toThrow(/EADDRINUSE/);
    const open = await withAdmin((c) => c.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]));
    expect(open.rows[0].n).toBe(0);
    expect((await srv.fetch('metadata')).status).toBe(200);
  } finally {
    await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  }
});

test('routine bots take a quarter of the pool by default, and never all of it', () => {
  expect(loadConfig({}).botRoutineRuns).toBe(2);
  expect(loadConfig({ DB_POOL_SIZE: '40' }).botRoutineRuns).toBe(10);
  expect(loadConfig({ DB_POOL_SIZE: '1' }).botRoutineRuns).toBe(1);
  expect(loadConfig({ DB_POOL_SIZE: '10', BOT_ROUTINE_RUNS: '9' }).botRoutineRuns).toBe(9);
  expect(() => loadConfig({ DB_POOL_SIZE: '10', BOT_ROUTINE_RUNS: '10' })).toThrow(/BOT_ROUTINE_RUNS must be below DB_POOL_SIZE \(10\)/);
});
