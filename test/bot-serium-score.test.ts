import type { MqttClient } from 'mqtt';
import { acvpuCodings, checkInUrl } from '../src/bots/news2-check-in.js';
import { call } from './harness.js';
import { eventually, publish, publisher, registerPatient, startIngestServer, type IngestTestServer } from './mqtt-harness.js';

// The daily Serium score (NEWS2-based) from 1 Hz minutes over MQTT, spot readings over REST and
// answers to the daily check-in. Sub-scores and totals worked out by hand from the RCP chart.

let srv: IngestTestServer;
let pub: MqttClient;

const loinc = 'http://loinc.org';
const metric = 'https://serium.dev/fhir/CodeSystem/rpm-metric';

beforeAll(async () => {
  srv = await startIngestServer({ SUBSCRIPTIONS: 'on', SUBSCRIPTION_POLL_MS: '50' });
  pub = await publisher();
  await eventually(async () => {
    const all = await Promise.all(['', '-check-in', '-condition'].map((s) => call(srv, 'GET', `Subscription/bot-serium-score${s}`)));
    return all.every((r) => r.body.status === 'active');
  });
});

afterAll(async () => {
  await pub?.endAsync();
  await srv?.stop();
});

async function post(resource: Record<string, unknown>): Promise<string> {
  const r = await call(srv, 'POST', String(resource.resourceType), resource);
  expect(r.status).toBe(201);
  return `${resource.resourceType}/${r.body.id}`;
}

function quantity(patient: string, code: string, at: string, value: number, unit: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: loinc, code }] },
    subject: { reference: patient },
    effectiveDateTime: at,
    valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
    ...extra,
  };
}

function bloodPressure(patient: string, at: string, systolic: number, diastolic: number): Record<string, unknown> {
  const part = (code: string, value: number) => ({ code: { coding: [{ system: loinc, code }] }, valueQuantity: { value, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } });
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: loinc, code: '85354-9' }] },
    subject: { reference: patient },
    effectiveDateTime: at,
    component: [part('8480-6', systolic), part('8462-4', diastolic)],
  };
}

function checkIn(patient: string, at: string, level: keyof typeof acvpuCodings, oxygen: boolean): Record<string, unknown> {
  return {
    resourceType: 'QuestionnaireResponse',
    questionnaire: checkInUrl,
    status: 'completed',
    subject: { reference: patient },
    authored: at,
    source: { reference: patient },
    item: [
      { linkId: 'consciousness', answer: [{ valueCoding: acvpuCodings[level] }] },
      { linkId: 'supplemental-oxygen', answer: [{ valueBoolean: oxygen }] },
    ],
  };
}

/** The patient's scores, by the day they are for. */
async function scores(patient: string): Promise<Record<string, any>> {
  const r = await call(srv, 'GET', `Observation?subject=${patient}&code=${metric}|serium-score`);
  return Object.fromEntries((r.body.entry ?? []).map((e: any) => [e.resource.effectivePeriod.start.slice(0, 10), e.resource]));
}

/** Sub-scores by component code (null for a missing parameter). */
const subScores = (o: any) => Object.fromEntries(o.component.map((c: any) => [c.code.coding[0].code, c.valueInteger ?? null]));
const refs = (o: any) => o.derivedFrom.map((r: any) => r.reference).sort();

test('a full day: the newest value of each parameter, recomputed when a later check-in changes consciousness', async () => {
  const patientId = await registerPatient(srv, 'ss-p', ['ss-ox', 'ss-hr']);
  const patient = `Patient/${patientId}`;
  // SpO2: 08:00 all 88 % (older, would score 3); 08:01: 29 × 95 and 30 × 96 usable (mean 95.5 → 96, scores 0),
  // with a 70 % sample flagged for motion (if counted: mean 95.1 → 95, scores 1)
  const spo2 = Array.from({ length: 120 }, (_, i) => (i < 60 ? 88 : i === 75 ? 70 : i < 90 ? 95 : 96));
  await publish(pub, srv.topic('ss-p', 'ss-ox', 'oxygen-saturation'), {
    format: 'serium-compact/1',
    seq: 1,
    start: '2026-11-20T08:00:00Z',
    interval_ms: 1000,
    unit: '%',
    values: spo2,
    quality: { '75': ['motion'] },
  });
  // pulse: one minute at 112 /min (scores 2); the heart-rate bot's aggregate of it is no input
  await publish(pub, srv.topic('ss-p', 'ss-hr', 'heart-rate'), {
    format: 'serium-compact/1',
    seq: 1,
    start: '2026-11-20T08:00:00Z',
    interval_ms: 1000,
    unit: '/min',
    values: Array.from({ length: 60 }, () => 112),
  });
  await post(quantity(patient, '9279-1', '2026-11-20T07:00:00Z', 16, '/min'));
  const rr = await post(quantity(patient, '9279-1', '2026-11-20T09:00:00Z', 22, '/min')); // scores 2
  await post(quantity(patient, '9279-1', '2026-11-20T09:30:00Z', 7, '/min', { status: 'entered-in-error' }));
  await post(quantity(patient, '9279-1', '2026-11-19T23:59:00Z', 30, '/min')); // the day before
  const bp = await post(bloodPressure(patient, '2026-11-20T09:05:00Z', 105, 70)); // scores 1
  const temp = await post(quantity(patient, '8310-5', '2026-11-20T09:10:00Z', 101.3, '[degF]')); // 38.5 °C, scores 1
  const morning = await post(checkIn(patient, '2026-11-20T10:00:00Z', 'A', false)); // 0 and 0

  // 2 + 0 + 0 + 1 + 2 + 0 + 1 = 6
  const first = await eventually(async () => {
    const s = (await scores(patient))['2026-11-20'];
    return s?.valueInteger === 6 && s.derivedFrom.length === 6 ? s : undefined;
  }, 20_000);
  expect(first.status).toBe('final');
  expect(first.category[0].coding[0]).toMatchObject({ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'survey' });
  expect(first.effectivePeriod).toEqual({ start: '2026-11-20T00:00:00.000Z', end: '2026-11-21T00:00:00.000Z' });
  expect(subScores(first)).toEqual({
    'serium-score-respiration-rate': 2,
    'serium-score-spo2-scale-1': 0,
    'serium-score-oxygen': 0,
    'serium-score-systolic': 1,
    'serium-score-pulse': 2,
    'serium-score-consciousness': 0,
    'serium-score-temperature': 1,
  });
  expect(first.interpretation[0].coding[0]).toMatchObject({ system: 'https://serium.dev/fhir/CodeSystem/serium-score-risk', code: 'medium' });
  expect(first.note.map((n: any) => n.text).join(' ')).toMatch(/decision support.*validated.*hospital/i);
  const input = (code: string) => first.component.find((c: any) => c.code.coding[0].code === code).extension[0];
  expect(input('serium-score-spo2-scale-1').valueQuantity).toMatchObject({ value: 95.5, code: '%' });
  expect(input('serium-score-temperature').valueQuantity).toMatchObject({ value: 38.5, code: 'Cel' });
  expect(input('serium-score-consciousness').valueCoding).toMatchObject({ system: 'http://snomed.info/sct', code: '248234008' });

  // derived from the readings used: the 08:01 SpO2 minute and the heart-rate minute, not its aggregate
  const minute = async (code: string, start: string) => {
    const r = await call(srv, 'GET', `Observation?subject=${patient}&code=${loinc}|${code}`);
    return r.body.entry.map((e: any) => e.resource).find((o: any) => o.valueSampledData && o.effectivePeriod.start === start);
  };
  const spo2Minute = await minute('59408-5', '2026-11-20T08:01:00.000Z');
  const hrMinute = await minute('8867-4', '2026-11-20T08:00:00.000Z');
  expect(refs(first)).toEqual([rr, bp, temp, morning, `Observation/${spo2Minute.id}`, `Observation/${hrMinute.id}`].sort());

  // the evening check-in reports new confusion: 3 more, the same Observation in a new version
  const evening = await post(checkIn(patient, '2026-11-20T18:00:00Z', 'C', false));
  const second = await eventually(async () => {
    const s = (await scores(patient))['2026-11-20'];
    return s?.valueInteger === 9 ? s : undefined;
  }, 20_000);
  expect(second.id).toBe(first.id);
  expect(Number(second.meta.versionId)).toBeGreaterThan(Number(first.meta.versionId));
  expect(subScores(second)['serium-score-consciousness']).toBe(3);
  expect(second.interpretation[0].coding[0].code).toBe('high');
  expect(refs(second)).toContain(evening);
  expect(refs(second)).not.toContain(morning);

  // the reading of the day before made a score of its own, partial
  const before = await eventually(async () => (await scores(patient))['2026-11-19'], 20_000);
  expect(before).toMatchObject({ status: 'preliminary', valueInteger: 3 });
  expect(Object.keys(await scores(patient)).sort()).toEqual(['2026-11-19', '2026-11-20']);
});

test('a partial day: preliminary, the missing parameters listed with a dataAbsentReason', async () => {
  const patient = `Patient/${await registerPatient(srv, 'ss-partial', [])}`;
  const rr = await post(quantity(patient, '9279-1', '2026-11-21T08:00:00Z', 25, '/min')); // 3
  const temp = await post(quantity(patient, '8310-5', '2026-11-21T08:05:00Z', 36.5, 'Cel')); // 0
  const score = await eventually(async () => {
    const s = (await scores(patient))['2026-11-21'];
    return s?.derivedFrom.length === 2 ? s : undefined;
  }, 20_000);
  expect(score.status).toBe('preliminary');
  expect(score.valueInteger).toBe(3);
  expect(score.interpretation[0].coding[0].code).toBe('low-medium');
  expect(refs(score)).toEqual([rr, temp].sort());
  const absent = score.component.filter((c: any) => c.dataAbsentReason).map((c: any) => c.code.coding[0].code);
  expect(absent).toEqual(['serium-score-spo2-scale-1', 'serium-score-oxygen', 'serium-score-systolic', 'serium-score-pulse', 'serium-score-consciousness']);
  for (const c of score.component.filter((x: any) => x.dataAbsentReason)) {
    expect(c.valueInteger).toBeUndefined();
    expect(c.dataAbsentReason.coding[0]).toMatchObject({ system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: 'not-performed' });
  }
  expect(score.note.map((n: any) => n.text).join(' ')).toMatch(/Partial score: nothing on the day for SpO2, air or oxygen, systolic blood pressure, pulse, consciousness/);
});

test('SpO2 scale 2 for a patient with hypercapnic respiratory failure on oxygen', async () => {
  const patient = `Patient/${await registerPatient(srv, 'ss-copd', [])}`;
  const condition = await post({
    resourceType: 'Condition',
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
    code: { coding: [{ system: 'http://snomed.info/sct', code: '426896000', display: 'Chronic hypercapnic respiratory failure' }] },
    subject: { reference: patient },
  });
  const spo2 = {
    ...quantity(patient, '59408-5', '2026-11-22T08:00:00Z', 95, '%'),
    code: { coding: [{ system: loinc, code: '2708-6' }, { system: loinc, code: '59408-5' }] },
  };
  await post(spo2); // scale 2, 95 % on oxygen: 2 (scale 1 would give 1)
  await post(quantity(patient, '9279-1', '2026-11-22T08:01:00Z', 18, '/min')); // 0
  await post(quantity(patient, '8480-6', '2026-11-22T08:02:00Z', 220, 'mm[Hg]')); // 3
  await post(quantity(patient, '8867-4', '2026-11-22T08:03:00Z', 50, '/min')); // 1
  await post(quantity(patient, '8310-5', '2026-11-22T08:04:00Z', 37, 'Cel')); // 0
  // the readings alone: preliminary, consciousness and oxygen missing (SpO2 scored as on air: 0)
  const readings = await eventually(async () => {
    const s = (await scores(patient))['2026-11-22'];
    return s?.derivedFrom.length === 5 ? s : undefined;
  }, 20_000);
  expect(readings).toMatchObject({ status: 'preliminary', valueInteger: 4 });
  // then the check-in, named with its version
  await post({ ...checkIn(patient, '2026-11-22T08:10:00Z', 'A', true), questionnaire: `${checkInUrl}|1` }); // 0, oxygen 2
  // 0 + 2 + 2 + 3 + 1 + 0 + 0 = 8
  const score = await eventually(async () => {
    const s = (await scores(patient))['2026-11-22'];
    return s?.status === 'final' ? s : undefined;
  }, 20_000);
  expect(subScores(score)).toEqual({
    'serium-score-respiration-rate': 0,
    'serium-score-spo2-scale-2': 2,
    'serium-score-oxygen': 2,
    'serium-score-systolic': 3,
    'serium-score-pulse': 1,
    'serium-score-consciousness': 0,
    'serium-score-temperature': 0,
  });
  expect(score.valueInteger).toBe(8);
  expect(score.interpretation[0].coding[0].code).toBe('high');
  expect(score.method.text).toContain(`SpO2 scale 2 (hypercapnic respiratory failure, ${condition})`);
});

test('a Condition of hypercapnic respiratory failure recorded, then ended, computes the latest score again', async () => {
  const patient = `Patient/${await registerPatient(srv, 'ss-late-copd', [])}`;
  await post(quantity(patient, '2708-6', '2026-11-26T08:00:00Z', 90, '%')); // on air: scale 1 gives 3, scale 2 gives 0
  const spo2Of = async (scale: 1 | 2) => {
    const s = (await scores(patient))['2026-11-26'];
    return s && subScores(s)[`serium-score-spo2-scale-${scale}`] !== undefined ? subScores(s)[`serium-score-spo2-scale-${scale}`] : undefined;
  };
  expect(await eventually(() => spo2Of(1), 20_000)).toBe(3);

  const condition = {
    resourceType: 'Condition',
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'J96.12' }] },
    subject: { reference: patient },
  };
  const ref = await post(condition);
  // scale 2 scores 0, which is why the wait is for the comparison
  expect(await eventually(async () => (await spo2Of(2)) === 0, 20_000)).toBe(true);

  const ended = { ...condition, id: ref.slice('Condition/'.length), clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'resolved' }] } };
  expect((await call(srv, 'PUT', ref, ended)).status).toBe(200);
  expect(await eventually(() => spo2Of(1), 20_000)).toBe(3);
});

test('no score for a day with nothing to score; a score whose inputs were all withdrawn is cancelled', async () => {
  const patient = `Patient/${await registerPatient(srv, 'ss-none', [])}`;
  await post(quantity(patient, '9279-1', '2026-11-23T08:00:00Z', 40, '/min', { status: 'entered-in-error' }));
  const reading = quantity(patient, '9279-1', '2026-11-24T08:00:00Z', 10, '/min'); // 1
  const ref = await post(reading);
  const score = await eventually(async () => (await scores(patient))['2026-11-24'], 20_000);
  expect(score).toMatchObject({ status: 'preliminary', valueInteger: 1 });
  expect(Object.keys(await scores(patient))).toEqual(['2026-11-24']);

  const r = await call(srv, 'PUT', ref, { ...reading, id: ref.split('/')[1], status: 'entered-in-error' });
  expect(r.status).toBe(200);
  const cancelled = await eventually(async () => {
    const s = (await scores(patient))['2026-11-24'];
    return s?.status === 'cancelled' ? s : undefined;
  }, 20_000);
  expect(cancelled.id).toBe(score.id);
  expect(cancelled.valueInteger).toBeUndefined();
  expect(cancelled.component).toBeUndefined();
  expect(cancelled.dataAbsentReason.coding[0].code).toBe('not-performed');
});

test('a watch alone: 1 Hz minutes refresh the score once an hour, at the minute starting at :59', async () => {
  const patientId = await registerPatient(srv, 'ss-watch', ['ss-watch-hr']);
  const patient = `Patient/${patientId}`;
  const minute = (seq: number, start: string, value: number) =>
    publish(pub, srv.topic('ss-watch', 'ss-watch-hr', 'heart-rate'), { format: 'serium-compact/1', seq, start, interval_ms: 1000, unit: '/min', values: Array.from({ length: 60 }, () => value) });
  await minute(1, '2026-11-10T08:30:00Z', 95);
  await eventually(async () => (await call(srv, 'GET', `Observation?subject=${patient}&code=http://loinc.org|8867-4&_summary=count`)).body.total >= 1, 20_000);
  await new Promise((r) => setTimeout(r, 1500));
  expect((await scores(patient))['2026-11-10']).toBeUndefined();
  await minute(2, '2026-11-10T08:59:00Z', 135); // pulse ≥ 131 scores 3
  const s = await eventually(async () => (await scores(patient))['2026-11-10'], 20_000);
  expect(s).toMatchObject({ status: 'preliminary', valueInteger: 3 });
});

test('the check-in Questionnaire is there from the start, for apps to read', async () => {
  const q = await call(srv, 'GET', 'Questionnaire?url=https://serium.dev/fhir/Questionnaire/daily-check-in');
  expect(q.body.entry?.[0]?.resource.item.map((i: any) => i.linkId)).toEqual(['consciousness', 'supplemental-oxygen']);
});

test('a run that finds the same day being scored comes back later, the attempt not counted', async () => {
  const patient = `Patient/${await registerPatient(srv, 'ss-busy', [])}`;
  const delivery = async (id: string) =>
    (await srv.running.db.query<{ attempts: number; status: string }>(`SELECT attempts, status FROM subscription_delivery WHERE subscription_id = 'bot-serium-score' AND id = $1`, [id])).rows[0];
  // another run holds the patient-day while the reading arrives
  await srv.running.db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`default/serium-score/${patient}/2026-11-25`]);
    const id = (await post(quantity(patient, '9279-1', '2026-11-25T08:00:00Z', 25, '/min'))).split('/')[1];
    // claimed many times over by now, each run held again without counting: between claims it
    // reads 0 attempts (a run waiting for the lock would stay claimed, at 1)
    await new Promise((r) => setTimeout(r, 2500));
    await eventually(async () => {
      const d = await delivery(id);
      return d.attempts === 0 && d.status === 'pending';
    }, 5000, 20);
  });
  const score = await eventually(async () => (await scores(patient))['2026-11-25'], 20_000);
  expect(score.valueInteger).toBe(3);
  expect((await call(srv, 'GET', 'Subscription/bot-serium-score')).body.status).toBe('active');
});
