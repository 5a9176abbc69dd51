import type { MqttClient } from 'mqtt';
import { eventually, withoutBots } from './harness.js';
import { publish, publisher, registerPatient, startIngestServer, uniqueName, type IngestTestServer } from './mqtt-harness.js';

// The routine bots give way to the alerts: readings that wait longer than ALERT_WAIT_TARGET_MS
// from arrival to commit shut the routine bots' gate, and calm seconds open it again. A target of
// 1 ms makes every committed batch count as a long wait, so a steady stream keeps the gate shut.

let pub: MqttClient;

beforeAll(async () => {
  pub = await publisher();
});

afterAll(async () => {
  await pub?.endAsync();
});

async function gauges(srv: IngestTestServer): Promise<{ places: number; worst: number; packed: number }> {
  const text = await (await fetch(srv.baseUrl.replace(/\/fhir$/, '/metrics'))).text();
  const gauge = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { places: gauge('serium_routine_bot_places'), worst: gauge('serium_alert_wait_worst_ms'), packed: gauge('serium_ingest_windows_packed_total') };
}

/** Spot heart-rate readings from a patient of their own, every 50 ms until stopped. */
async function stream(srv: IngestTestServer): Promise<() => Promise<void>> {
  const pseudonym = uniqueName('p');
  await registerPatient(srv, pseudonym, ['watch-1']);
  let sending = true;
  const done = (async () => {
    for (let i = 0; sending; i++) {
      const at = new Date(Date.UTC(2026, 10, 20, 6, 0, i)).toISOString();
      await publish(pub, srv.topic(pseudonym, 'watch-1', 'heart-rate'), { heart_rate: { value: 60 + (i % 20), unit: 'beats/min' }, effective_time_frame: { date_time: at } });
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return async () => {
    sending = false;
    await done;
  };
}

test('the routine bots stop while readings wait, and come back one place a second after', async () => {
  const srv = await startIngestServer({ SUBSCRIPTIONS: 'on', ...withoutBots, BOT_ROUTINE_RUNS: '2', ALERT_WAIT_TARGET_MS: '1' });
  try {
    expect((await gauges(srv)).places).toBe(2);
    const stop = await stream(srv);
    try {
      // two seconds with a long wait each: two places, then one, then none
      const shut = await eventually(async () => {
        const g = await gauges(srv);
        return g.places === 0 && g;
      }, 20_000);
      expect(shut.worst).toBeGreaterThanOrEqual(1);
    } finally {
      await stop();
    }
    // calm seconds widen the gate by one place each, up to BOT_ROUTINE_RUNS
    const seen = new Set<number>();
    await eventually(async () => {
      const g = await gauges(srv);
      seen.add(g.places);
      return g.places === 2;
    }, 20_000, 50);
    expect(seen.has(1)).toBe(true);
    expect((await gauges(srv)).worst).toBe(0);
  } finally {
    await srv.stop();
  }
});
