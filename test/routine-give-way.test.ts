import type { MqttClient } from 'mqtt';
import { eventually, withoutBots } from './harness.js';
import { publish, publisher, registerPatient, startIngestServer, uniqueName, type IngestTestServer } from './mqtt-harness.js';

// The routine bots give way to the alerts: readings that wait longer than ALERT_WAIT_TARGET_MS
// from arrival to commit shut the routine bots' gate, and it opens again once they stop waiting.
// A target of 1 ms makes every committed batch count as a long wait.

let srv: IngestTestServer;
let pub: MqttClient;

beforeAll(async () => {
  srv = await startIngestServer({ SUBSCRIPTIONS: 'on', ...withoutBots, BOT_ROUTINE_RUNS: '2', ALERT_WAIT_TARGET_MS: '1' });
  pub = await publisher();
});

afterAll(async () => {
  await pub?.endAsync();
  await srv?.stop();
});

async function gauges(): Promise<{ places: number; worst: number }> {
  const text = await (await fetch(srv.baseUrl.replace(/\/fhir$/, '/metrics'))).text();
  const gauge = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { places: gauge('serium_routine_bot_places'), worst: gauge('serium_alert_wait_worst_ms') };
}

test('the routine bots stop while readings wait, and come back one place a second after', async () => {
  expect((await gauges()).places).toBe(2);
  const pseudonym = uniqueName('p');
  await registerPatient(srv, pseudonym, ['watch-1']);
  let sending = true;
  const stream = (async () => {
    for (let i = 0; sending; i++) {
      const at = new Date(Date.UTC(2026, 10, 20, 8, 0, i)).toISOString();
      await publish(pub, srv.topic(pseudonym, 'watch-1', 'heart-rate'), { heart_rate: { value: 60 + (i % 20), unit: 'beats/min' }, effective_time_frame: { date_time: at } });
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    // two seconds with a long wait each: two places, then one, then none
    const shut = await eventually(async () => {
      const g = await gauges();
      return g.places === 0 && g;
    }, 20_000);
    expect(shut.worst).toBeGreaterThanOrEqual(1);
  } finally {
    sending = false;
    await stream;
  }
  // calm seconds widen the gate by one place each, up to BOT_ROUTINE_RUNS
  const seen = new Set<number>();
  await eventually(async () => {
    const g = await gauges();
    seen.add(g.places);
    return g.places === 2;
  }, 20_000, 50);
  expect(seen.has(1)).toBe(true);
  expect((await gauges()).worst).toBe(0);
});
