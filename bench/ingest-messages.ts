/** The messages of the ingest benchmark, and the registrations they need. */

export interface PlannedMessage {
  /** emergency: a spot SpO2 of 80 %, which the emergency-threshold bot turns into an alert. */
  kind: 'compact' | 'spot' | 'emergency';
  patient: number;
  /** The topic below the root: {tenant}/{pseudonym}/{device}/{metric}. */
  topic: string;
  payload: string;
  readings: number;
  /** For compact messages: where the first sample lands (ms since epoch of its window, slot). */
  firstWindow: number;
  firstSlot: number;
}

const samplesPerMessage = 10;
const pseudonym = (p: number) => `bp-${p}`;
/** The Device resource id (and identifier) of patient p's watch. */
export const deviceId = (p: number) => `bw-${p}`;
const cuffId = (p: number) => `bc-${p}`;

/**
 * About rate × seconds readings: patient after patient, each watch sends the next ten seconds of
 * its 1 Hz heart rate (varying like a resting heart), and one message in 1/spotShare is a spot
 * reading from the cuff, scale or glucometer instead. Readings start at t0.
 */
export function messagePlan(patients: number, seconds: number, rate: number, spotShare: number, t0: number, emergencyEvery = 0): PlannedMessage[] {
  const total = Math.ceil((rate * seconds) / samplesPerMessage);
  const plan: PlannedMessage[] = [];
  const every = spotShare > 0 ? Math.round(1 / spotShare) : Infinity;
  for (let i = 0; i < total; i++) {
    const p = i % patients;
    const k = Math.floor(i / patients);
    if (emergencyEvery && i % emergencyEvery === emergencyEvery - 1) {
      plan.push(emergency(p, k, t0));
      continue;
    }
    if (i % every === every - 1) {
      plan.push(spot(p, k, t0));
      continue;
    }
    const start = t0 + k * samplesPerMessage * 1000;
    const values = Array.from({ length: samplesPerMessage }, (_, s) => 62 + ((p + k * 3 + s) % 25));
    const payload = {
      format: 'serium-compact/1',
      seq: k,
      start: new Date(start).toISOString().replace('Z', '+00:00'),
      interval_ms: 1000,
      unit: 'beats/min',
      values,
      // a watch loses about a percent of charge in ten minutes
      battery: Math.max(5, 95 - Math.floor(k / 60)),
      firmware: '2.4.1',
      model: 'W2',
    };
    const firstWindow = Math.floor(start / 60_000) * 60_000;
    plan.push({
      kind: 'compact',
      patient: p,
      topic: `default/${pseudonym(p)}/${deviceId(p)}/heart-rate`,
      payload: JSON.stringify(payload),
      readings: samplesPerMessage,
      firstWindow,
      firstSlot: (start - firstWindow) / 1000,
    });
  }
  return plan;
}

function spot(p: number, k: number, t0: number): PlannedMessage {
  const at = new Date(t0 + k * samplesPerMessage * 1000 + (p % 10_000)).toISOString();
  const kinds = [
    ['blood-pressure', { systolic_blood_pressure: { value: 118 + (k % 30), unit: 'mmHg' }, diastolic_blood_pressure: { value: 76 + (k % 15), unit: 'mmHg' } }],
    ['body-weight', { body_weight: { value: 70 + (p % 30) + (k % 10) / 10, unit: 'kg' } }],
    ['blood-glucose', { blood_glucose: { value: 90 + (k % 60), unit: 'mg/dL' }, temporal_relationship_to_meal: 'before breakfast' }],
  ] as const;
  const [metric, body] = kinds[k % kinds.length];
  return {
    kind: 'spot',
    patient: p,
    topic: `default/${pseudonym(p)}/${cuffId(p)}/${metric}`,
    payload: JSON.stringify({ ...body, effective_time_frame: { date_time: at } }),
    readings: 1,
    firstWindow: 0,
    firstSlot: 0,
  };
}

function emergency(p: number, k: number, t0: number): PlannedMessage {
  const body = { oxygen_saturation: { value: 80, unit: '%' }, effective_time_frame: { date_time: new Date(t0 + k * samplesPerMessage * 1000 + (p % 10_000)).toISOString() } };
  return { kind: 'emergency', patient: p, topic: `default/${pseudonym(p)}/${cuffId(p)}/oxygen-saturation`, payload: JSON.stringify(body), readings: 1, firstWindow: 0, firstSlot: 0 };
}

/** Transaction Bundles that register every patient with a watch and a cuff (which also stands for the scale and meter). */
export function registrationBundles(patients: number, perBundle = 300): object[] {
  const bundles: object[] = [];
  for (let from = 0; from < patients; from += perBundle) {
    // a nurse on every care team, so an emergency has someone to tell (the dispatcher records what it could not send)
    const entry: object[] = from ? [] : [{ resource: { resourceType: 'Practitioner', id: 'bench-nurse', name: [{ text: 'Nurse' }] }, request: { method: 'PUT', url: 'Practitioner/bench-nurse' } }];
    for (let p = from; p < Math.min(patients, from + perBundle); p++) {
      entry.push({
        resource: { resourceType: 'Patient', id: pseudonym(p), identifier: [{ system: 'urn:serium:pseudonym', value: pseudonym(p) }] },
        request: { method: 'PUT', url: `Patient/${pseudonym(p)}` },
      });
      entry.push({
        resource: { resourceType: 'CareTeam', id: `team-${pseudonym(p)}`, status: 'active', subject: { reference: `Patient/${pseudonym(p)}` }, participant: [{ member: { reference: 'Practitioner/bench-nurse' } }] },
        request: { method: 'PUT', url: `CareTeam/team-${pseudonym(p)}` },
      });
      for (const d of [deviceId(p), cuffId(p)]) {
        entry.push({
          resource: { resourceType: 'Device', id: d, status: 'active', identifier: [{ system: 'urn:serium:device', value: d }], patient: { reference: `Patient/${pseudonym(p)}` } },
          request: { method: 'PUT', url: `Device/${d}` },
        });
      }
    }
    bundles.push({ resourceType: 'Bundle', type: 'transaction', entry });
  }
  return bundles;
}
