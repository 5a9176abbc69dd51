import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, eventually, put, startTestServer, type TestServer } from './harness.js';

// A bot that overruns its time limit: the run counts as failed and is retried, and what it wrote
// before the limit is rolled back when it returns, not committed late beside its retry's writes.

const bots = mkdtempSync(join(tmpdir(), 'serium-bots-'));
const subscriptions = mkdtempSync(join(tmpdir(), 'serium-subscriptions-'));
let srv: TestServer;

beforeAll(async () => {
  writeFileSync(join(bots, 'package.json'), JSON.stringify({ type: 'module' }));
  // each attempt writes a Basic of its own; the first then waits past the 300 ms limit
  writeFileSync(
    join(bots, 'slow-writer.js'),
    `export const bot = {
  id: 'slow-writer',
  title: 'Slow writer',
  writes: ['Basic'],
  timeoutMs: 300,
  async handle(input, ctx) {
    const attempt = input.event.attempt;
    await ctx.update({ resourceType: 'Basic', id: input.event.id + '-attempt-' + attempt, code: { text: 'bot run' } });
    if (attempt === 1) await new Promise((r) => setTimeout(r, 1200));
  },
};
`,
  );
  writeFileSync(
    join(subscriptions, 'slow-writer.json'),
    JSON.stringify({ resourceType: 'Subscription', id: 'bot-slow-writer', status: 'requested', reason: 'test', criteria: 'Patient', channel: { type: 'rest-hook', endpoint: 'Bot/slow-writer' } }),
  );
  srv = await startTestServer({ SUBSCRIPTIONS: 'on', BOTS_DIR: bots, SUBSCRIPTIONS_DIR: subscriptions, SUBSCRIPTION_POLL_MS: '50', SUBSCRIPTION_RETRY_BASE_MS: '50' });
  await eventually(async () => (await call(srv, 'GET', 'Subscription/bot-slow-writer')).body.status === 'active');
});

afterAll(async () => {
  await srv?.stop();
  rmSync(bots, { recursive: true, force: true });
  rmSync(subscriptions, { recursive: true, force: true });
});

test('an overrun run is retried, and what it wrote is rolled back', async () => {
  await put(srv, { resourceType: 'Patient', id: 'timed' });
  // the retry ran while the first run was still waiting
  await eventually(async () => (await call(srv, 'GET', 'Basic/timed-attempt-2')).status === 200);
  // the first run has returned by now: its write must not have been committed
  await new Promise((r) => setTimeout(r, 1500));
  expect((await call(srv, 'GET', 'Basic/timed-attempt-1')).status).toBe(404);
  expect((await call(srv, 'GET', 'Basic/timed-attempt-2/_history')).body.total).toBe(1);
  // delivered on the second attempt, so the Subscription stays active
  expect((await call(srv, 'GET', 'Subscription/bot-slow-writer')).body.status).toBe('active');
});
