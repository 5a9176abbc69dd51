import { startTestServer, type TestServer, call } from './harness.js';

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
