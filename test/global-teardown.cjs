/** Drops the databases this run created. */
const pg = require('pg');

module.exports = async function globalTeardown() {
  const run = process.env.SERIUM_TEST_RUN;
  if (!run) return;
  const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres' });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`serium_test_${run}%`]);
    for (const row of rows) await client.query(`DROP DATABASE IF EXISTS "${row.datname}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
};
