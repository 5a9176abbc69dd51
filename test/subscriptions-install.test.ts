import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, eventually, serveDatabase } from './harness.js';
import { HookReceiver } from './hook-receiver.js';
import { ensureTemplate, runPrefix, templateName, withAdmin } from './test-database.js';

// Subscriptions shipped as files are installed at start, and installing them again on the next
// start changes nothing unless the file did.

const dir = mkdtempSync(join(tmpdir(), 'serium-subscriptions-'));
const name = `${runPrefix}_${randomBytes(6).toString('hex')}`;
const hook = new HookReceiver();

afterAll(async () => {
  await hook.stop();
  rmSync(dir, { recursive: true, force: true });
  await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
});

test('installed once, left alone on restart, updated when the file changes', async () => {
  await hook.start();
  await ensureTemplate();
  await withAdmin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${templateName}`));
  const subscription = (code: string) => ({
    resourceType: 'Subscription',
    id: 'installed-hr',
    status: 'requested',
    reason: 'shipped with the server',
    criteria: `Observation?code=http://loinc.org|${code}`,
    channel: { type: 'rest-hook', endpoint: hook.url('/installed') },
  });
  writeFileSync(join(dir, 'installed-hr.json'), JSON.stringify(subscription('8867-4')));
  const env = { SUBSCRIPTIONS: 'on', SUBSCRIPTIONS_DIR: dir, SUBSCRIPTION_POLL_MS: '50' };

  let srv = await serveDatabase(name, env);
  const active = await eventually(async () => {
    const s = (await call(srv, 'GET', 'Subscription/installed-hr')).body;
    return s.status === 'active' ? s : undefined;
  });
  await srv.stop(true);

  srv = await serveDatabase(name, env);
  expect((await call(srv, 'GET', 'Subscription/installed-hr')).body.meta.versionId).toBe(active.meta.versionId);
  await srv.stop(true);

  writeFileSync(join(dir, 'installed-hr.json'), JSON.stringify(subscription('2708-6')));
  srv = await serveDatabase(name, env);
  const changed = (await call(srv, 'GET', 'Subscription/installed-hr')).body;
  expect(changed.criteria).toBe('Observation?code=http://loinc.org|2708-6');
  expect(Number(changed.meta.versionId)).toBeGreaterThan(Number(active.meta.versionId));
  await srv.stop(true);
});
