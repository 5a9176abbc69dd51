import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { call } from './harness.js';
import {
  collectDeadLetters,
  eventually,
  publish,
  publisher,
  registerPatient,
  startIngestServer,
  uniqueName,
  type IngestTestServer,
} from './mqtt-harness.js';

let srv: IngestTestServer;
let pub: MqttClient;
let dead: Awaited<ReturnType<typeof collectDeadLetters>>;

beforeAll(async () => {
  // a small bucket, so the rate-limit test can empty it (no other test here sends 250 readings from one device)
  srv = await startIngestServer({ INGEST_DEVICE_RATE: '1', INGEST_DEVICE_BURST: '250' });
  pub = await publisher();
  dead = await collectDeadLetters(srv.root);
});

afterAll(async () => {
  await pub?.endAsync();
  await dead?.close();
  await srv?.stop();
});

async function observations(patientId: string, extra = ''): Promise<any[]> {
  const r = await call(srv, 'GET', `Observation?subject=Patient/${patientId}&_count=500${extra}`);
  expect(r.status).toBe(200);
  return (r.body.entry ?? []).map((e: any) => e.resource);
}

const hr = (value: number, at: string) => ({ heart_rate: { value, unit: 'beats/min' }, effective_time_frame: { date_time: at } });

describe('Open mHealth readings over MQTT', () => {
  test('a heart-rate data point becomes a vital-signs Observation tied to the patient and device', async () => {
    const pseudonym = uniqueName('p');
    const patientId = await registerPatient(srv, pseudonym, [`${pseudonym}-watch`]);
    const point = {
      header: {
        id: 'a5e9c3a2-0b52-4c2c-8f44-000000000001',
        creation_date_time: '2026-11-20T08:00:05+01:00',
        schema_id: { namespace: 'omh', name: 'heart-rate', version: '2.0' },
      },
      body: hr(64, '2026-11-20T08:00:00+01:00'),
    };
    await publish(pub, srv.topic(pseudonym, `${pseudonym}-watch`, 'heart-rate'), point, { gateway: `${pseudonym}-phone` });
    const [obs] = await eventually(() => observations(patientId).then((o) => (o.length ? o : undefined)));
    expect(obs.code.coding[0]).toMatchObject({ system: 'http://loinc.org', code: '8867-4' });
    expect(obs.valueQuantity).toMatchObject({ value: 64, system: 'http://unitsofmeasure.org', code: '/min' });
    expect(obs.category[0].coding[0].code).toBe('vital-signs');
    expect(obs.meta.profile).toContain('http://hl7.org/fhir/StructureDefinition/heartrate');
    expect(new Date(obs.effectiveDateTime).toISOString()).toBe('2026-11-20T07:00:00.000Z');
    expect(obs.device.reference).toBe(`Device/d-${pseudonym}-watch`);
    const gateway = obs.extension.find((e: any) => e.url === 'http://hl7.org/fhir/StructureDefinition/observation-gatewayDevice');
    expect(gateway.valueReference.reference).toMatch(/^Device\//);
    const phone = await call(srv, 'GET', gateway.valueReference.reference);
    expect(phone.body.identifier[0]).toEqual({ system: 'urn:serium:gateway', value: `${pseudonym}-phone` });
    expect(obs.identifier.map((i: any) => i.value)).toContain('a5e9c3a2-0b52-4c2c-8f44-000000000001');

    // the same message again, and the same reading in another message: nothing new
    await publish(pub, srv.topic(pseudonym, `${pseudonym}-watch`, 'heart-rate'), point);
    await publish(pub, srv.topic(pseudonym, `${pseudonym}-watch`, 'heart-rate@2.0'), [point.body]);
    await publish(pub, srv.topic(pseudonym, `${pseudonym}-watch`, 'heart-rate'), hr(70, '2026-11-20T08:01:00+01:00'));
    const all = await eventually(() => observations(patientId).then((o) => (o.length >= 2 ? o : undefined)));
    await new Promise((r) => setTimeout(r, 500));
    const again = await observations(patientId);
    expect(again).toHaveLength(2);
    expect(all.map((o) => o.meta.versionId)).toEqual(['1', '1']);
  });

  test('blood pressure, glucose in mmol/L and weight in lb arrive normalised, late and out of order', async () => {
    const pseudonym = uniqueName('p');
    const patientId = await registerPatient(srv, pseudonym, ['cuff-1', 'meter-1', 'scale-1']);
    await publish(pub, srv.topic(pseudonym, 'scale-1', 'body-weight'), {
      body_weight: { value: 176.37, unit: 'lb' },
      effective_time_frame: { date_time: '2026-11-19T07:00:00+01:00' },
    });
    await publish(pub, srv.topic(pseudonym, 'cuff-1', 'blood-pressure'), {
      systolic_blood_pressure: { value: 142, unit: 'mmHg' },
      diastolic_blood_pressure: { value: 91, unit: 'mmHg' },
      effective_time_frame: { date_time: '2026-11-20T07:25:00-08:00' },
    });
    // a reading from three weeks ago, sent after newer ones
    await publish(pub, srv.topic(pseudonym, 'meter-1', 'blood-glucose'), {
      blood_glucose: { value: 5.5, unit: 'mmol/L' },
      effective_time_frame: { date_time: '2026-10-30T12:00:00+01:00' },
    });
    const obs = await eventually(() => observations(patientId).then((o) => (o.length === 3 ? o : undefined)));
    const byCode = (c: string) => obs.find((o) => o.code.coding.some((x: any) => x.code === c));
    const bp = byCode('85354-9');
    expect(bp.component.map((c: any) => [c.code.coding[0].code, c.valueQuantity.value, c.valueQuantity.code])).toEqual([
      ['8480-6', 142, 'mm[Hg]'],
      ['8462-4', 91, 'mm[Hg]'],
    ]);
    expect(new Date(bp.effectiveDateTime).toISOString()).toBe('2026-11-20T15:25:00.000Z');
    const weight = byCode('29463-7');
    expect(weight.valueQuantity.code).toBe('kg');
    expect(weight.valueQuantity.value).toBeCloseTo(80.0, 1);
    const glucose = obs.find((o) => o.valueQuantity?.code === 'mg/dL');
    expect(glucose.valueQuantity.value).toBeCloseTo(99.1, 0);
    expect(new Date(glucose.effectiveDateTime).toISOString()).toBe('2026-10-30T11:00:00.000Z');
    // searchable by its real time
    const october = await observations(patientId, '&date=2026-10-30');
    expect(october).toHaveLength(1);
  });
});

describe('compact streams', () => {
  test('1 Hz heart rate is packed per minute into valueSampledData; late samples merge into the same Observation', async () => {
    const pseudonym = uniqueName('p');
    const patientId = await registerPatient(srv, pseudonym, ['w1']);
    const topic = srv.topic(pseudonym, 'w1', 'heart-rate');
    // 90 s from 09:59:30 local (+01:00): half a minute, a whole minute
    const values = Array.from({ length: 90 }, (_, i) => 60 + (i % 7));
    values[40] = null as unknown as number;
    const first90 = {
      format: 'serium-compact/1',
      seq: 1,
      start: '2026-11-20T09:59:30+01:00',
      interval_ms: 1000,
      unit: 'beats/min',
      values,
      quality: { '45': ['motion'] },
      battery: 81,
      firmware: '2.4.1',
      model: 'W2',
      manufacturer: 'Acme',
      gateway: { id: `${pseudonym}-phone`, model: 'Pixel 8', firmware: 'Gateway 1.3.0' },
    };
    await publish(pub, topic, first90);
    const packed = await eventually(() => observations(patientId).then((o) => (o.length === 2 ? o : undefined)));
    const first = packed.find((o) => o.effectivePeriod.start.startsWith('2026-11-20T08:59'));
    const second = packed.find((o) => o.effectivePeriod.start.startsWith('2026-11-20T09:00'));
    expect(first.valueSampledData.period).toBe(1000);
    const firstData = first.valueSampledData.data.split(' ');
    expect(firstData).toHaveLength(60);
    expect(firstData.slice(0, 30).every((v: string) => v === 'E')).toBe(true);
    expect(firstData.slice(30).map(Number)).toEqual(values.slice(0, 30));
    const secondData = second.valueSampledData.data.split(' ');
    expect(secondData[10]).toBe('E'); // the null sample (index 40 = 10 s into 09:00)
    expect(Number(secondData[11])).toBe(values[41]);
    const quality = second.extension.find((e: any) => e.url === 'https://serium.dev/fhir/StructureDefinition/sample-quality');
    expect(quality.extension).toEqual([
      { url: 'flag', valueCode: 'motion' },
      { url: 'samples', valueString: '15' },
    ]);
    expect(second.valueSampledData.origin).toMatchObject({ value: 0, code: '/min' });
    expect(first.code.coding[0].code).toBe('8867-4');

    // the device details went to its Device, and the phone became a gateway Device
    const device = await call(srv, 'GET', 'Device/d-w1');
    expect(device.body.modelNumber).toBe('W2');
    expect(device.body.version[0].value).toBe('2.4.1');
    expect(device.body.property[0].valueQuantity[0].value).toBe(81);

    // the first half-minute arrives late: the first window gets a second version, complete
    await publish(pub, topic, {
      format: 'serium-compact/1',
      seq: 0,
      start: '2026-11-20T09:59:00+01:00',
      interval_ms: 1000,
      unit: 'beats/min',
      values: Array.from({ length: 30 }, () => 55),
    });
    const merged = await eventually(async () => {
      const o = (await observations(patientId)).find((x) => x.effectivePeriod.start.startsWith('2026-11-20T08:59'));
      return o?.meta.versionId === '2' ? o : undefined;
    });
    const mergedData = merged!.valueSampledData.data.split(' ').map(Number);
    expect(mergedData.slice(0, 30)).toEqual(Array(30).fill(55));
    expect(mergedData.slice(30)).toEqual(values.slice(0, 30));
    expect(await observations(patientId)).toHaveLength(2);

    // a newer report, then the first message again (as a broker redelivers it): the samples add
    // nothing, so no window gets a new version, and the Device keeps the newer details
    await publish(pub, topic, { format: 'serium-compact/1', seq: 2, start: '2026-11-20T10:01:00+01:00', interval_ms: 1000, unit: 'beats/min', values: [70], battery: 60, firmware: '2.5.0' });
    await eventually(async () => (await call(srv, 'GET', 'Device/d-w1')).body.version[0].value === '2.5.0');
    const staged = async () => Number(/serium_ingest_samples_staged_total (\d+)/.exec(await (await fetch(srv.baseUrl.replace(/\/fhir$/, '/metrics'))).text())![1]);
    const before = await staged();
    await publish(pub, topic, first90);
    await eventually(async () => (await staged()) >= before + 89);
    await new Promise((r) => setTimeout(r, 800)); // several packer rounds
    const after = await observations(patientId);
    expect(after.map((o) => [o.effectivePeriod.start, o.meta.versionId]).sort()).toEqual([
      ['2026-11-20T08:59:00.000Z', '2'],
      ['2026-11-20T09:00:00.000Z', '1'],
      ['2026-11-20T09:01:00.000Z', '1'],
    ]);
    const kept = await call(srv, 'GET', 'Device/d-w1');
    expect(kept.body.version[0].value).toBe('2.5.0');
    expect(kept.body.property[0].valueQuantity[0].value).toBe(60);
  });

  test('a message PostgreSQL cannot store is rejected alone, and what its transaction wrote is not taken as done', async () => {
    const pseudonym = uniqueName('p');
    const patientId = await registerPatient(srv, pseudonym, [`${pseudonym}-w`]);
    const topic = srv.topic(pseudonym, `${pseudonym}-w`, 'heart-rate');
    const point = (id: string, at: string) => ({
      header: { id, creation_date_time: at, schema_id: { namespace: 'omh', name: 'heart-rate', version: '2.0' } },
      body: hr(66, at),
    });
    // an identifier too long for PostgreSQL's index (a row over 2,700 bytes even compressed), from a phone seen for the first time
    await publish(pub, topic, point(randomBytes(4500).toString('base64'), '2026-11-20T08:00:00Z'), { gateway: `${pseudonym}-phone` });
    const letter = await eventually(async () => dead.letters.find((l) => l.topic.startsWith(`${srv.root}/default/${pseudonym}/`)));
    expect(letter.body.reason).toBe('invalid');
    await publish(pub, topic, point('ok-1', '2026-11-20T08:01:00Z'), { gateway: `${pseudonym}-phone` });
    const [obs] = await eventually(() => observations(patientId).then((o) => (o.length ? o : undefined)));
    const gateway = obs.extension.find((e: any) => e.url === 'http://hl7.org/fhir/StructureDefinition/observation-gatewayDevice');
    expect((await call(srv, 'GET', gateway.valueReference.reference)).status).toBe(200);
  });
});

describe('bad input goes to the dead-letter topic, nothing is stored', () => {
  test.each([
    ['malformed JSON', 'heart-rate', '{"heart_rate": ', 'malformed'],
    ['schema failure', 'heart-rate', { heart_rate: { value: 'fast', unit: 'beats/min' }, effective_time_frame: { date_time: '2026-11-20T08:00:00Z' } }, 'schema'],
    ['unknown metric', 'blood-alcohol', { value: 1 }, 'unknown-metric'],
    ['implausible heart rate', 'heart-rate', hr(250, '2026-11-20T08:00:00Z'), 'implausible'],
    ['implausible SpO2', 'oxygen-saturation', { oxygen_saturation: { value: 40, unit: '%' }, effective_time_frame: { date_time: '2026-11-20T08:00:00Z' } }, 'implausible'],
  ])('%s', async (_name, metric, payload, reason) => {
    const pseudonym = uniqueName('p');
    const device = `${pseudonym}-dev`;
    const patientId = await registerPatient(srv, pseudonym, [device]);
    await publish(pub, srv.topic(pseudonym, device, metric), payload);
    const letter = await eventually(async () => dead.letters.find((l) => l.topic === `${srv.root}/default/${pseudonym}/${device}/errors`));
    expect(letter.body.reason).toBe(reason);
    expect(letter.body.topic).toBe(srv.topic(pseudonym, device, metric));
    expect(typeof letter.body.message).toBe('string');
    expect(await observations(patientId)).toHaveLength(0);
  });

  test('unknown patient, unknown device, another patient\'s device, unknown tenant', async () => {
    const a = uniqueName('p');
    const b = uniqueName('p');
    await registerPatient(srv, a, [`${a}-watch`]);
    const bId = await registerPatient(srv, b, [`${b}-watch`]);
    const reading = hr(70, '2026-11-20T08:00:00Z');
    await publish(pub, srv.topic('nobody', 'x', 'heart-rate'), reading);
    await publish(pub, srv.topic(b, 'not-registered', 'heart-rate'), reading);
    await publish(pub, srv.topic(b, `${a}-watch`, 'heart-rate'), reading);
    await publish(pub, srv.topic(b, `${b}-watch`, 'heart-rate', 'other-tenant'), reading);
    const reasons = await eventually(async () => {
      const mine = dead.letters.filter((l) => l.topic.includes('/nobody/') || l.topic.includes(`/${b}/`));
      const got = Object.fromEntries(mine.map((l) => [l.topic, l.body.reason]));
      return Object.keys(got).length >= 4 ? got : undefined;
    });
    expect(reasons).toEqual({
      [`${srv.root}/default/nobody/x/errors`]: 'unknown-patient',
      [`${srv.root}/default/${b}/not-registered/errors`]: 'unknown-device',
      [`${srv.root}/default/${b}/${a}-watch/errors`]: 'wrong-patient',
      [`${srv.root}/other-tenant/${b}/${b}-watch/errors`]: 'unknown-tenant',
    });
    expect(await observations(bId)).toHaveLength(0);
    const metrics = await (await fetch(srv.baseUrl.replace(/\/fhir$/, '/metrics'))).text();
    expect(metrics).toMatch(/serium_ingest_rejected_total\{reason="wrong-patient"\} [1-9]/);
  });

  test('a device over its rate limit has its message refused whole', async () => {
    const pseudonym = uniqueName('p');
    const patientId = await registerPatient(srv, pseudonym, [`${pseudonym}-w`]);
    const topic = srv.topic(pseudonym, `${pseudonym}-w`, 'heart-rate');
    const batch = (minute: number) =>
      Array.from({ length: 50 }, (_, i) => hr(60 + (i % 20), new Date(Date.parse('2026-11-20T08:00:00Z') + minute * 3_600_000 + i * 1000).toISOString()));
    for (const m of [0, 1, 2, 3, 4, 5]) await publish(pub, topic, batch(m));
    const letter = await eventually(async () => dead.letters.find((l) => l.topic.startsWith(`${srv.root}/default/${pseudonym}/`)));
    expect(letter.body.reason).toBe('rate-limited');
    await new Promise((r) => setTimeout(r, 300));
    expect(await observations(patientId)).toHaveLength(250);
  });

  test('a registration made over REST applies without a restart', async () => {
    const pseudonym = uniqueName('p');
    const topic = srv.topic(pseudonym, 'late-watch', 'heart-rate');
    await publish(pub, topic, hr(71, '2026-11-20T08:00:00Z'));
    await eventually(async () => dead.letters.find((l) => l.topic.startsWith(`${srv.root}/default/${pseudonym}/`)));
    const patientId = await registerPatient(srv, pseudonym, ['late-watch']);
    await new Promise((r) => setTimeout(r, 100)); // the refusal is remembered for a tenth of INGEST_REGISTRY_TTL_MS
    await publish(pub, topic, hr(72, '2026-11-20T08:00:00Z'));
    const obs = await eventually(() => observations(patientId).then((o) => (o.length ? o : undefined)));
    expect(obs?.[0].valueQuantity.value).toBe(72);
  });
});
