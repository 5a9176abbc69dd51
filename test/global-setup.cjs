/** Drops the test databases of earlier runs; the first test file builds a fresh template. */
const pg = require('pg');

module.exports = async function globalSetup() {
  const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres' });
  await client.connect();
  try {
    const old = await client.query(`SELECT datname FROM pg_database WHERE datname LIKE 'serium_test_%'`);
    for (const row of old.rows) await client.query(`DROP DATABASE IF EXISTS "${row.datname}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
};
