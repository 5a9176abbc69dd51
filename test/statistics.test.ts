import { startTestServer, type TestServer, call, eventually, withoutBots } from './harness.js';
import { StatisticsKeeper } from '../src/db/statistics.js';
import { silentLogger } from '../src/logger.js';

// After a bulk load the planner must not see empty tables: Serium analyses the tables a burst of
// writes changed (ANALYZE_AFTER_WRITES), without waiting for autovacuum.

let srv: TestServer;
afterEach(() => srv?.stop());

const analysed = async (table: string): Promise<boolean> => {
  const { rows } = await srv.running.db.query<{ at: Date | null }>(
    'SELECT last_analyze AS at FROM pg_stat_user_tables WHERE relname = $1',
    [table],
  );
  return rows[0]?.at != null;
};

const loadPatients = async (n: number) => {
  const bundle = {
    resourceType: 'Bundle',
    type: 'batch',
    entry: Array.from({ length: n }, (_, i) => ({
      resource: { resourceType: 'Patient', name: [{ family: `Load${i}` }] },
      request: { method: 'POST', url: 'Patient' },
    })),
  };
  expect((await call(srv, 'POST', '', bundle)).status).toBe(200);
};

test('a burst of writes gets the changed tables analysed', async () => {
  srv = await startTestServer({ ANALYZE_AFTER_WRITES: '100' });
  expect(await analysed('search_string_other')).toBe(false);
  await loadPatients(120);
  for (let i = 0; i < 100 && !(await analysed('search_string_other')); i++) await new Promise((r) => setTimeout(r, 100));
  expect(await analysed('search_string_other')).toBe(true);
  expect(await analysed('resource_other')).toBe(true);
  // Observation tables were not written: nothing to analyse there
  expect(await analysed('search_string_observation')).toBe(false);
});

test('ANALYZE_AFTER_WRITES=0 leaves it to autovacuum', async () => {
  srv = await startTestServer({ ANALYZE_AFTER_WRITES: '0' });
  await loadPatients(120);
  await new Promise((r) => setTimeout(r, 500));
  expect(await analysed('search_string_other')).toBe(false);
});

test('queues are left to autovacuum: the outbox is not analysed however much it changed', async () => {
  srv = await startTestServer({ ANALYZE_AFTER_WRITES: '100', SUBSCRIPTIONS: 'on', ...withoutBots });
  // a refresh that starts before the writes are reported finds nothing to do: load until one does
  for (let load = 0; load < 5 && !(await analysed('resource_other')); load++) {
    await loadPatients(120);
    for (let i = 0; i < 30 && !(await analysed('resource_other')); i++) await new Promise((r) => setTimeout(r, 100));
  }
  expect(await analysed('resource_other')).toBe(true);
  const { rows } = await srv.running.db.query<{ n: string }>(`SELECT n_mod_since_analyze AS n FROM pg_stat_user_tables WHERE relname = 'resource_event'`);
  expect(Number(rows[0].n)).toBeGreaterThan(100);
  expect(await analysed('resource_event')).toBe(false);
});

test('the planner knows a token code comes with its system and parameter', async () => {
  srv = await startTestServer({ ANALYZE_AFTER_WRITES: '100' });
  const observation = (category: string) => ({
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: category }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '2339-0' }] },
  });
  const bundle = {
    resourceType: 'Bundle',
    type: 'batch',
    entry: [...Array.from({ length: 300 }, () => observation('laboratory')), ...Array.from({ length: 30 }, () => observation('survey'))].map((resource) => ({
      resource,
      request: { method: 'POST', url: 'Observation' },
    })),
  };
  expect((await call(srv, 'POST', '', bundle)).status).toBe(200);
  await srv.running.db.query('ANALYZE search_token_observation');
  const { rows } = await srv.running.db.query<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>(
    `EXPLAIN (FORMAT JSON) SELECT 1 FROM search_token_observation
      WHERE tenant = 'default' AND resource_type = 'Observation' AND param = 'category'
        AND system = 'http://terminology.hl7.org/CodeSystem/observation-category' AND code = 'survey'`,
  );
  // 30 rows match; taken as independent, the three columns would make it about one
  expect(rows[0]['QUERY PLAN'][0].Plan['Plan Rows']).toBeGreaterThanOrEqual(10);
});

test('a table of 100,000 rows or more is left to autovacuum; a smaller one changed as much is analysed', async () => {
  srv = await startTestServer({ ANALYZE_AFTER_WRITES: '0' });
  const { db } = srv.running;
  const lastAnalysed = async (table: string) =>
    (await db.query<{ at: Date | null }>('SELECT last_analyze AS at FROM pg_stat_user_tables WHERE relname = $1', [table])).rows[0].at?.getTime();
  for (const [table, rows] of [['keeper_big', 100_000], ['keeper_small', 1_000]] as const) {
    await db.query(`CREATE TABLE ${table} (n int)`);
    await db.query(`INSERT INTO ${table} SELECT generate_series(1, $1)`, [rows]);
    await db.query(`ANALYZE ${table}`);
    // a fifth more rows: past the rule of a tenth for both
    await db.query(`INSERT INTO ${table} SELECT generate_series(1, $1)`, [rows / 5]);
  }
  // the backends report their writes to the statistics system within seconds
  await eventually(async () => {
    const { rows } = await db.query<{ n: string }>(`SELECT n_mod_since_analyze AS n FROM pg_stat_user_tables WHERE relname IN ('keeper_big', 'keeper_small') ORDER BY relname`);
    return Number(rows[0].n) >= 20_000 && Number(rows[1].n) >= 200;
  }, 20_000);
  const before = { big: await lastAnalysed('keeper_big'), small: await lastAnalysed('keeper_small') };
  const keeper = new StatisticsKeeper(db, silentLogger, 1);
  keeper.noteWrite();
  await keeper.idle();
  expect(await lastAnalysed('keeper_small')).toBeGreaterThan(before.small!);
  expect(await lastAnalysed('keeper_big')).toBe(before.big);
});
