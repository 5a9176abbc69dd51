/**
 * Names this run's databases (template and per-file clones) so that two runs against the same
 * PostgreSQL server never touch each other's; the teardown drops them.
 */
const { randomBytes } = require('node:crypto');

module.exports = async function globalSetup() {
  process.env.SERIUM_TEST_RUN = randomBytes(4).toString('hex');
};
