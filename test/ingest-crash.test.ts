import { withoutBots } from './harness.js';
import { brokerUrl, eventually, publish, publisher, uniqueName } from './mqtt-harness.js';
import { SeriumProcess } from './serium-process.js';

const root = uniqueName('crash');
let serium: SeriumProcess;

afterAll(async () => {
  await serium?.remove();
});

async function json(url: string, init?: RequestInit): Promise<any> {
  const r = await fetch(url, init);
  return r.json();
}

test('SIGKILL in the middle of a stream: after a restart every reading is stored exactly once', async () => {
  // a fixed MQTT client id, so the broker keeps the session (and what arrives meanwhile) across the kill
  // the bots are not installed: their aggregates would share the readings' codes
  serium = new SeriumProcess({
    ...withoutBots,
    MQTT_URL: brokerUrl,
    MQTT_TOPIC_ROOT: root,
    MQTT_CLIENT_ID: `${root}-ingest`,
    INGEST_PACK_DELAY_MS: '0',
    INGEST_PACK_INTERVAL_MS: '200',
    INGEST_BATCH_MAX: '50',
  });
  await serium.createDatabase();
  await serium.start();
  const headers = { 'content-type': 'application/fhir+json' };
  await fetch(`${serium.baseUrl}/Patient/crash-p`, {
    method: 'PUT',
    headers,
    body: JSON.stringify({ resourceType: 'Patient', id: 'crash-p', identifier: [{ system: 'urn:serium:pseudonym', value: 'crash-p' }] }),
  });
  await fetch(`${serium.baseUrl}/Device/crash-w`, {
    method: 'PUT',
    headers,
    body: JSON.stringify({ resourceType: 'Device', id: 'crash-w', identifier: [{ value: 'crash-w' }], patient: { reference: 'Patient/crash-p' } }),
  });

  const pub = await publisher();
  const spotTopic = `${root}/default/crash-p/crash-w/heart-rate`;
  const compactTopic = `${root}/default/crash-p/crash-w/oxygen-saturation`;
  const messages = 240;
  const perMessage = 5;
  const t0 = Date.parse('2026-11-01T00:00:00Z');
  let killedAt = -1;
  for (let m = 0; m < messages; m++) {
    const points = Array.from({ length: perMessage }, (_, i) => ({
      heart_rate: { value: 60 + ((m + i) % 30), unit: 'beats/min' },
      effective_time_frame: { date_time: new Date(t0 + (m * perMessage + i) * 1000).toISOString() },
    }));
    const publishing = publish(pub, spotTopic, points);
    // ten 1 Hz SpO2 samples per message, 2,400 in all, in consecutive windows
    const compact = publish(pub, compactTopic, {
      format: 'serium-compact/1',
      seq: m,
      start: new Date(t0 + m * 10_000).toISOString(),
      interval_ms: 1000,
      unit: '%',
      values: Array.from({ length: 10 }, (_, i) => 90 + ((m + i) % 10)),
    });
    await Promise.all([publishing, compact]);
    if (m === 80) {
      await serium.kill();
      killedAt = m;
    }
    if (m === 160) await serium.start();
    await new Promise((r) => setTimeout(r, 5));
  }
  expect(killedAt).toBe(80);
  await pub.endAsync();

  const expectedSpot = messages * perMessage;
  const count = async () =>
    (await json(`${serium.baseUrl}/Observation?subject=Patient/crash-p&code=http://loinc.org|8867-4&_summary=count&_total=accurate`)).total as number;
  expect(await eventually(async () => (await count()) === expectedSpot, 60_000, 500)).toBe(true);

  // every SpO2 sample sits in exactly one window, once
  const samples = async () => {
    let n = 0;
    let next: string | undefined = `${serium.baseUrl}/Observation?subject=Patient/crash-p&code=http://loinc.org|2708-6&_count=200`;
    while (next) {
      const page: any = await json(next);
      for (const e of page.entry ?? []) n += e.resource.valueSampledData.data.split(' ').filter((v: string) => v !== 'E').length;
      next = page.link?.find((l: any) => l.relation === 'next')?.url;
    }
    return n;
  };
  expect(await eventually(async () => (await samples()) === messages * 10, 60_000, 500)).toBe(true);

  // no reading was written twice: one version each, distinct identifiers
  const identifiers = new Set<string>();
  let next: string | undefined = `${serium.baseUrl}/Observation?subject=Patient/crash-p&code=http://loinc.org|8867-4&_count=200`;
  while (next) {
    const page: any = await json(next);
    for (const e of page.entry ?? []) {
      expect(e.resource.meta.versionId).toBe('1');
      identifiers.add(e.resource.identifier[0].value);
    }
    next = page.link?.find((l: any) => l.relation === 'next')?.url;
  }
  expect(identifiers.size).toBe(expectedSpot);
}, 240_000);
