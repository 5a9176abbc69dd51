import { randomBytes } from 'node:crypto';
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { connectAsync } from 'mqtt';
import { loadConformance } from '../src/fhir/conformance.js';
import { Validator } from '../src/fhir/validator.js';
import { parseCliOptions, UsageError } from '../src/simulator/cli-options.js';
import { runCommand } from '../src/simulator/command.js';
import type { CompactPayload } from '../src/simulator/compact.js';
import type { SimMessage } from '../src/simulator/messages.js';
import { allMetrics, qualityFlags, schemaVersions, streamed, type Metric } from '../src/simulator/metrics.js';
import type { OmhDataPoint } from '../src/simulator/omh.js';
import { createPatients, type PatientProfile } from '../src/simulator/patients.js';
import { connectPublisher, type Publisher } from '../src/simulator/publish.js';
import { registerPatients, registrationResources } from '../src/simulator/register.js';
import { runSimulation, type Clock } from '../src/simulator/run.js';
import { hypoxiaMarginMs, hypoxiaRampMs, parseScenario, resolveScenarios } from '../src/simulator/scenarios.js';
import { createSimulation, type Simulation } from '../src/simulator/simulation.js';
import { SummaryCollector } from '../src/simulator/summary.js';
import { day, formatOffset, hour, localDay, localHour, minute, second } from '../src/simulator/time.js';
import { checkBody, checkDataPoint } from '../src/ingest/omh/schemas.js';

// The device simulator: reproducible, schema-valid, day/night shaped, scenarios where asked,
// and every message delivered through a real Mosquitto (127.0.0.1:1883, or MQTT_URL).

const monday = Date.parse('2026-11-02T00:00:00Z');

const collect = (sim: Simulation, from: number, to: number) => [...sim.messages(from, to)];
const scenarios = (...specs: string[]) => specs.map(parseScenario);
const readingsOf = (messages: SimMessage[], patient: number, metric: Metric, device?: string) =>
  messages.filter((m) => m.patient === patient && m.metric === metric && (!device || m.device.startsWith(device))).flatMap((m) => m.readings);
const deviceId = (p: PatientProfile, kind: string) => p.devices.find((d) => d.kind === kind)!.id;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const min = (xs: number[]) => xs.reduce((a, b) => Math.min(a, b), Infinity);
const max = (xs: number[]) => xs.reduce((a, b) => Math.max(a, b), -Infinity);

/** Checks a data point with Serium's own schema set (tested against the upstream examples in ingest-omh): header, then body by its schema_id. */
function omhErrors(point: OmhDataPoint): string[] {
  const { name, version } = point.header.schema_id;
  return [...checkDataPoint(point), ...checkBody(name, version, point.body).map((e) => `${name}-${version}: ${e} in ${JSON.stringify(point.body)}`)];
}

/** Records what is published; acknowledges at once. */
function memoryPublisher(): Publisher & { sent: { topic: string; payload: string }[] } {
  const sent: { topic: string; payload: string }[] = [];
  return {
    sent,
    inFlight: 0,
    async publish(topic, payload) {
      sent.push({ topic, payload });
    },
    async flush() {},
    async close() {},
  };
}

describe('a baseline run: 4 patients, 2 days from a Monday', () => {
  const sim = createSimulation({ seed: 'baseline', patients: 4 });
  const messages = collect(sim, monday, monday + 2 * day);

  test('is reproducible: the same seed gives the same messages, another seed others', () => {
    const window = [monday + 6 * hour, monday + 7 * hour] as const;
    const again = collect(createSimulation({ seed: 'baseline', patients: 4 }), ...window);
    const other = collect(createSimulation({ seed: 'other', patients: 4 }), ...window);
    const wire = (ms: SimMessage[]) => ms.map((m) => `${m.topic} ${m.payload}`);
    expect(again.length).toBeGreaterThan(500);
    expect(wire(collect(createSimulation({ seed: 'baseline', patients: 4 }), ...window))).toEqual(wire(again));
    expect(wire(other)).not.toEqual(wire(again));
    // the same readings as the two-day run, which generated the hour in other windows
    const inRun = messages.filter((m) => m.time >= window[0] && m.time < window[1]);
    expect(inRun.map((m) => m.readings)).toEqual(again.map((m) => m.readings));
  });

  test('does not depend on how time is cut into windows, seq included', () => {
    const a = monday + 3 * hour;
    const cut = a + 17 * minute + 3 * second;
    const whole = collect(createSimulation({ seed: 'baseline', patients: 2 }), a, a + hour);
    const split = createSimulation({ seed: 'baseline', patients: 2 });
    const pieces = [...collect(split, a, cut), ...collect(split, cut, a + hour)];
    expect(pieces.map((m) => m.payload)).toEqual(whole.map((m) => m.payload));
  });

  test('patient n is the same whatever the number of patients', () => {
    expect(createPatients(5, 'baseline').slice(0, 3)).toEqual(createPatients(3, 'baseline'));
    const ids = createPatients(200, 'baseline').flatMap((p) => [p.pseudonym, p.gateway.id, ...p.devices.map((d) => d.id)]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('topics follow serium/default/{pseudonym}/{device}/{metric}, in time order', () => {
    const wrong = messages.filter((m) => {
      const p = sim.patients[m.patient - 1];
      return m.topic !== `serium/default/${p.pseudonym}/${m.device}/${m.metric}` || !p.devices.some((d) => d.id === m.device && d.metrics.includes(m.metric));
    });
    expect(wrong.map((m) => m.topic)).toEqual([]);
    expect(messages.every((m, i) => i === 0 || messages[i - 1].time <= m.time)).toBe(true);
  });

  test('every Open mHealth data point validates against the newest schema of its metric', () => {
    const seen = new Set<string>();
    const errors: string[] = [];
    for (const m of messages.filter((x) => x.format === 'omh')) {
      const payload = JSON.parse(m.payload) as OmhDataPoint | OmhDataPoint[];
      const points = Array.isArray(payload) ? payload : [payload];
      expect(points.length).toBe(m.readingCount);
      const offset = formatOffset(sim.patients[m.patient - 1].offsetMinutes);
      for (const point of points) {
        errors.push(...omhErrors(point));
        expect(point.header.schema_id).toEqual({ namespace: 'omh', name: m.metric, version: schemaVersions[m.metric] });
        expect(point.header.acquisition_provenance.modality).toBe('sensed');
        expect(point.header.creation_date_time.endsWith(offset)).toBe(true);
        expect(JSON.stringify(point.body.effective_time_frame)).toContain(offset);
        seen.add(m.metric);
      }
    }
    expect(errors.slice(0, 5)).toEqual([]);
    expect([...seen].sort()).toEqual(['blood-glucose', 'blood-pressure', 'body-height', 'body-temperature', 'body-weight', 'heart-rate', 'oxygen-saturation']);
  });

  test('streams sent as Open mHealth validate too (format omh)', () => {
    const omh = collect(createSimulation({ seed: 'baseline', patients: 4, format: 'omh' }), monday + 5 * hour, monday + 7 * hour);
    const errors: string[] = [];
    const seen = new Set<string>();
    for (const m of omh.filter((x) => x.device.startsWith('w2-'))) {
      if (m.format !== 'omh') errors.push(`${m.topic} sent as ${m.format}`);
      const payload = JSON.parse(m.payload) as OmhDataPoint | OmhDataPoint[];
      for (const point of Array.isArray(payload) ? payload : [payload]) {
        errors.push(...omhErrors(point));
        seen.add(point.header.schema_id.name);
      }
    }
    expect(errors.slice(0, 5)).toEqual([]);
    expect(seen).toEqual(new Set(['heart-rate', 'oxygen-saturation', 'respiratory-rate', 'step-count']));
  });

  test('compact messages follow serium-compact/1', () => {
    const compact = messages.filter((m) => m.format === 'compact');
    expect(compact.length).toBeGreaterThan(10000);
    const lastSeq = new Map<string, number>();
    const problems: string[] = [];
    const check = (ok: boolean, what: string, m: SimMessage) => ok || problems.push(`${what}: ${m.topic} ${m.payload}`);
    for (const m of compact) {
      const p = sim.patients[m.patient - 1];
      const c = JSON.parse(m.payload) as CompactPayload;
      const keys = ['format', 'seq', 'start', 'interval_ms', 'unit', 'values', ...(c.quality ? ['quality'] : []), 'battery', 'firmware', 'model', 'manufacturer', 'gateway'];
      check(c.format === 'serium-compact/1' && Object.keys(c).join() === keys.join(), 'fields', m);
      const spec = streamed[m.metric as keyof typeof streamed];
      check(c.unit === spec.unit && c.interval_ms === spec.intervalMs, 'unit and interval', m);
      check(c.start.endsWith(formatOffset(p.offsetMinutes)) && Date.parse(c.start) === m.readings[0].time, 'start', m);
      check(c.values.length === m.readingCount && c.values.every((v) => v === null || Number.isInteger(v)), 'values', m);
      // 1 Hz streams: one message per 5-10 s batch, so at most 10 values
      check(c.interval_ms !== 1000 || c.values.length <= 10, 'values per batch', m);
      for (const [index, flags] of Object.entries(c.quality ?? {})) {
        check(Number(index) < c.values.length && flags.every((f) => qualityFlags.includes(f)), 'quality', m);
      }
      check(c.battery >= 0 && c.battery <= 100 && c.gateway.battery >= 0 && c.gateway.battery <= 100, 'battery', m);
      check(c.gateway.id === p.gateway.id && c.gateway.model === p.gateway.model && c.gateway.firmware === 'Serium Gateway 1.3.0', 'gateway', m);
      check(c.seq === (lastSeq.get(m.topic) ?? 0) + 1, 'seq', m);
      lastSeq.set(m.topic, c.seq);
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(compact.some((m) => m.payload.includes('"quality"'))).toBe(true);
  });

  test('the phone sends every 5 to 10 s', () => {
    const times = [...new Set(messages.filter((m) => m.patient === 1 && m.format === 'compact').map((m) => m.time))];
    const gaps = times.slice(1).map((t, i) => t - times[i]).filter((g) => g <= 10 * second); // longer: watch off the wrist
    expect(gaps.length).toBeGreaterThan(times.length * 0.9);
    expect(min(gaps)).toBeGreaterThanOrEqual(5 * second);
    expect(mean(gaps)).toBeGreaterThan(6 * second);
    expect(mean(gaps)).toBeLessThan(9 * second);
  });

  test('heart rate is lower at night; steps only by day; SpO2 streams only overnight', () => {
    for (const p of sim.patients) {
      const at = (t: number) => localHour(t, p.offsetMinutes);
      const hr = readingsOf(messages, p.index, 'heart-rate', 'w2').filter((r) => r.value !== null);
      const night = hr.filter((r) => at(r.time) >= 2 && at(r.time) < 4).map((r) => r.value as number);
      const daytime = hr.filter((r) => at(r.time) >= 10 && at(r.time) < 18).map((r) => r.value as number);
      expect(night.length).toBeGreaterThan(3000);
      expect(daytime.length).toBeGreaterThan(10000);
      expect(mean(night)).toBeLessThan(mean(daytime) - 8);

      const steps = readingsOf(messages, p.index, 'step-count');
      expect(steps.length).toBeGreaterThan(1000);
      expect(steps.filter((r) => at(r.time) < 5 || at(r.time) >= 23.95)).toEqual([]);
      const daily = new Map<number, number>();
      for (const s of steps) daily.set(localDay(s.time, p.offsetMinutes), (daily.get(localDay(s.time, p.offsetMinutes)) ?? 0) + (s.value ?? 0));
      const fullDays = [...daily.entries()].filter(([d]) => d === localDay(monday + day, p.offsetMinutes)).map(([, n]) => n);
      for (const n of fullDays) expect(n).toBeGreaterThan(1500);

      const spo2 = readingsOf(messages, p.index, 'oxygen-saturation', 'w2');
      expect(spo2.length).toBeGreaterThan(5 * 3600);
      expect(spo2.filter((r) => at(r.time) >= 9 && at(r.time) < 21)).toEqual([]);
    }
  });

  test('cuff readings come in morning and evening series of 2-3 about a minute apart', () => {
    for (const p of sim.patients) {
      const bp = readingsOf(messages, p.index, 'blood-pressure');
      const series: number[][] = [];
      for (const r of bp) {
        const last = series[series.length - 1];
        if (last && r.time - last[last.length - 1] < 5 * minute) last.push(r.time);
        else series.push([r.time]);
      }
      expect(series.length).toBeGreaterThanOrEqual(3);
      for (const s of series) {
        expect(s.length).toBeGreaterThanOrEqual(2);
        expect(s.length).toBeLessThanOrEqual(3);
        for (let i = 1; i < s.length; i++) expect(Math.abs(s[i] - s[i - 1] - minute)).toBeLessThanOrEqual(10 * second);
        const h = localHour(s[0], p.offsetMinutes);
        expect(h < 10 || h > 19).toBe(true);
      }
      // and the cuff's pulse with each
      expect(readingsOf(messages, p.index, 'heart-rate', 'bp-5').length).toBe(bp.length);
    }
  });

  test('weight once each morning; glucose only for diabetics, with the meal', () => {
    for (const p of sim.patients) {
      const weights = readingsOf(messages, p.index, 'body-weight');
      const days = weights.map((w) => localDay(w.time, p.offsetMinutes));
      expect(new Set(days).size).toBe(days.length);
      for (const w of weights) expect(localHour(w.time, p.offsetMinutes)).toBeLessThan(9);
      expect(weights.length).toBeGreaterThanOrEqual(1);
      const glucose = messages.filter((m) => m.patient === p.index && m.metric === 'blood-glucose');
      if (!p.diabetic) expect(glucose).toEqual([]);
      for (const m of glucose) expect(m.payload).toContain('"temporal_relationship_to_meal"');
    }
    expect(sim.patients.some((p) => p.diabetic)).toBe(true);
  });

  test('baseline values stay out of alerting ranges', () => {
    const values = (metric: Metric) => messages.filter((m) => m.metric === metric).flatMap((m) => m.readings).filter((r) => r.value !== null);
    const spo2 = values('oxygen-saturation').map((r) => r.value as number);
    expect(min(spo2)).toBeGreaterThanOrEqual(93);
    expect(spo2.filter((v) => v >= 94 && v <= 99).length / spo2.length).toBeGreaterThan(0.9);
    const bp = values('blood-pressure');
    expect(max(bp.map((r) => r.value as number))).toBeLessThan(170);
    expect(max(bp.map((r) => r.diastolic as number))).toBeLessThan(105);
    expect(bp.every((r) => (r.value as number) > (r.diastolic as number))).toBe(true);
    expect(min(values('blood-glucose').map((r) => r.value as number))).toBeGreaterThanOrEqual(70);
    const hr = values('heart-rate').map((r) => r.value as number);
    expect(min(hr)).toBeGreaterThanOrEqual(45);
    expect(max(hr)).toBeLessThanOrEqual(125);
  });

  test('every metric of the wire contract is published', () => {
    const published = new Set(messages.map((m) => m.metric));
    for (const metric of allMetrics) expect([metric, published.has(metric)]).toEqual([metric, true]);
  });
});

describe('scenarios', () => {
  test('parse absolute and relative times, a device, a duration; refuse the rest', () => {
    expect(parseScenario('hypoxia:2@2026-11-02T03:10:00Z')).toEqual({ kind: 'hypoxia', patient: 2, device: undefined, at: { absolute: monday + 3 * hour + 10 * minute }, durationMs: undefined });
    expect(parseScenario('device-silent:3:cuff@+1d2h~6h')).toEqual({ kind: 'device-silent', patient: 3, device: 'cuff', at: { relative: 26 * hour }, durationMs: 6 * hour });
    expect(parseScenario('hypertensive-crisis:1@2026-11-02T08:05:00+01:00').at).toEqual({ absolute: monday + 7 * hour + 5 * minute });
    for (const bad of ['hypoxia:2', 'fainting:1@+1h', 'hypoxia:x@+1h', 'hypoxia:1@tomorrow', 'hypoxia:1:cuff@+1h', 'hypoglycemia:1@+1h~2h', 'hypoxia:1@2026-11-02T03:10:00']) {
      expect(() => parseScenario(bad)).toThrow(bad);
    }
    const patients = createPatients(3, 'x');
    expect(() => resolveScenarios(scenarios('hypoxia:4@+1h'), monday, patients)).toThrow('no patient 4');
    expect(resolveScenarios(scenarios('device-silent:1@+1h'), monday, patients)[0]).toMatchObject({ device: 'watch', start: monday + hour, end: monday + hour + day });
  });

  test('hypoxia: SpO2 84-88 % every second of the window, at night and by day; nothing else changes', () => {
    const night = monday + 3 * hour + 10 * minute;
    const noon = monday + 12 * hour;
    const specs = scenarios('hypoxia:2@2026-11-02T03:10:00Z', 'hypoxia:1@+12h~10m');
    const sim = createSimulation({ seed: 'hypoxia', patients: 3, scenarios: specs, start: monday });
    const plain = createSimulation({ seed: 'hypoxia', patients: 3 });
    for (const [patient, start, length] of [[2, night, 6 * minute], [1, noon, 10 * minute]] as const) {
      const range = [start - hour, start + hour] as const;
      const got = collect(sim, ...range);
      const spo2 = readingsOf(got, patient, 'oxygen-saturation', 'w2');
      const hold = spo2.filter((r) => r.time >= start && r.time < start + length);
      expect(hold.length).toBe(length / second);
      expect(hold.every((r) => r.value !== null && r.value >= 84 && r.value <= 88 && !r.quality)).toBe(true);
      const held = hold.map((r) => r.value as number);
      expect(new Set(held).size).toBeGreaterThanOrEqual(3); // a live signal, not a value pinned at a limit
      expect(mean(held)).toBeGreaterThan(85);
      expect(mean(held)).toBeLessThan(87);
      const outside = spo2.filter((r) => r.time < start - hypoxiaRampMs || r.time >= start + length + hypoxiaRampMs);
      expect(outside.every((r) => r.value === null || r.value >= 93)).toBe(true);
      const hr = readingsOf(got, patient, 'heart-rate', 'w2');
      const hrIn = hr.filter((r) => r.time >= start && r.time < start + length).map((r) => r.value as number);
      const hrBefore = readingsOf(collect(plain, ...range), patient, 'heart-rate', 'w2').filter((r) => r.time >= start && r.time < start + length);
      expect(mean(hrIn)).toBeGreaterThan(mean(hrBefore.map((r) => r.value as number)) + 8);
      // outside the scenario's margin, and for other patients, the readings are those of a run without it
      const far = (r: { time: number }) => r.time < start - hypoxiaMarginMs - hypoxiaRampMs || r.time >= start + length + hypoxiaMarginMs + hypoxiaRampMs;
      const key = (ms: SimMessage[]) => ms.flatMap((m) => m.readings.map((r) => ({ p: m.patient, ...r }))).filter((r) => r.p !== patient || far(r));
      expect(key(got)).toEqual(key(collect(plain, ...range)));
    }
  });

  test('hypertensive crisis: three readings a minute apart, >= 180/120, where asked', () => {
    const sim = createSimulation({ seed: 'crisis', patients: 2, scenarios: scenarios('hypertensive-crisis:2@+9h30m'), start: monday });
    const start = monday + 9 * hour + 30 * minute;
    const bp = readingsOf(collect(sim, start - hour, start + hour), 2, 'blood-pressure');
    const crisis = bp.filter((r) => r.time >= start && r.time <= start + 2 * minute);
    expect(crisis.map((r) => r.time)).toEqual([start, start + minute, start + 2 * minute]);
    for (const r of crisis) {
      expect(r.value).toBeGreaterThanOrEqual(180);
      expect(r.diastolic).toBeGreaterThanOrEqual(120);
    }
    expect(bp.filter((r) => !crisis.includes(r)).every((r) => (r.value as number) < 170)).toBe(true);
  });

  test('hypoglycemia: a reading below 54 mg/dL at the time asked, then a recheck; the patient is made diabetic', () => {
    const patients = createPatients(6, 'hypo');
    const target = patients.find((p) => !p.diabetic)!.index;
    const sim = createSimulation({ seed: 'hypo', patients: 6, scenarios: scenarios(`hypoglycemia:${target}@2026-11-02T15:20:00Z`) });
    expect(sim.patients[target - 1].diabetic).toBe(true);
    const start = Date.parse('2026-11-02T15:20:00Z');
    const glucose = readingsOf(collect(sim, start - 10 * minute, start + 30 * minute), target, 'blood-glucose');
    const at = glucose.find((r) => r.time === start)!;
    expect(at.value).toBeLessThan(54);
    const recheck = glucose.find((r) => r.time === start + 15 * minute)!;
    expect(recheck.value).toBeGreaterThanOrEqual(70);
  });

  test('weight gain: +2.5 kg over 3 days on the scale, on top of the usual values', () => {
    const start = monday + 12 * hour;
    const withGain = createSimulation({ seed: 'weight', patients: 1, scenarios: scenarios('weight-gain:1@+12h'), start: monday });
    const plain = createSimulation({ seed: 'weight', patients: 1, scenarios: scenarios('weight-gain:1@+30d'), start: monday }); // same profile, gain far later
    const p = withGain.patients[0];
    expect(p.heartFailure).toBe(true);
    const mornings = (sim: Simulation) =>
      [1, 2, 3, 4, 5].flatMap((d) => {
        const midnight = Date.parse('2026-11-02T00:00:00Z') + d * day - p.offsetMinutes * minute;
        return readingsOf(collect(sim, midnight + 5 * hour, midnight + 10 * hour), 1, 'body-weight');
      });
    const gained = mornings(withGain);
    const base = mornings(plain);
    expect(gained.map((r) => r.time)).toEqual(base.map((r) => r.time));
    expect(gained.length).toBeGreaterThanOrEqual(4);
    gained.forEach((r, i) => {
      const expected = 2.5 * Math.min(1, (r.time - start) / (3 * day));
      expect(Math.abs((r.value as number) - (base[i].value as number) - expected)).toBeLessThanOrEqual(0.051);
    });
    expect((gained[gained.length - 1].value as number) - (base[base.length - 1].value as number)).toBeCloseTo(2.5, 1);
  });

  test('device silent: no message from the device in the window, messages before and after', () => {
    const sim = createSimulation({ seed: 'silent', patients: 2, scenarios: scenarios('device-silent:1@+2h~3h', 'device-silent:2:scale@+0h~1d'), start: monday });
    const messages = collect(sim, monday, monday + 2 * day);
    const [p1, p2] = sim.patients;
    const from = (id: string) => messages.filter((m) => m.device === id);
    const watch = from(deviceId(p1, 'watch'));
    expect(watch.filter((m) => m.time >= monday + 2 * hour && m.time < monday + 5 * hour)).toEqual([]);
    expect(watch.some((m) => m.time < monday + 2 * hour)).toBe(true);
    expect(watch.some((m) => m.time >= monday + 5 * hour && m.time < monday + 5 * hour + minute)).toBe(true);
    expect(watch.flatMap((m) => m.readings).filter((r) => r.time >= monday + 2 * hour && r.time < monday + 5 * hour)).toEqual([]);
    const scale = from(deviceId(p2, 'scale'));
    expect(scale.filter((m) => m.time < monday + day)).toEqual([]);
    expect(scale.some((m) => m.time >= monday + day)).toBe(true);
    // the other devices carry on
    expect(from(deviceId(p1, 'cuff')).length).toBeGreaterThan(0);
    expect(from(deviceId(p2, 'watch')).some((m) => m.time >= monday + 2 * hour && m.time < monday + 5 * hour)).toBe(true);
  });

  test('the summary gives each event its pseudonym, times, expected alert and what was published', () => {
    const specs = scenarios('hypoxia:1@+1h', 'hypertensive-crisis:2@+2h', 'device-silent:1:cuff@+0h~3h');
    const sim = createSimulation({ seed: 'summary', patients: 2, scenarios: specs, start: monday });
    const collector = new SummaryCollector(sim.seed, sim.tenant, sim.patients, sim.events);
    for (const m of sim.messages(monday, monday + 4 * hour)) collector.add(m);
    const s = collector.summary(monday, monday + 4 * hour);
    expect(s.messages).toBeGreaterThan(0);
    expect(s.readings).toBe(Object.values(s.byMetric).reduce((n, x) => n + x.readings, 0));
    expect(s.events).toHaveLength(3);
    const [hypoxia, crisis, silent] = s.events;
    expect(hypoxia).toMatchObject({
      scenario: 'hypoxia',
      patient: 1,
      pseudonym: sim.patients[0].pseudonym,
      start: '2026-11-02T01:00:00Z',
      end: '2026-11-02T01:06:00Z',
      expectedAlert: { level: 'critical' },
      observed: { readings: 360, min: 84, max: 88 },
    });
    expect(hypoxia.localStart.endsWith(formatOffset(sim.patients[0].offsetMinutes))).toBe(true);
    expect(crisis.observed.readings).toBe(3);
    expect(crisis.observed.min).toBeGreaterThanOrEqual(180);
    expect(crisis.expectedAlert.level).toBe('critical');
    expect(silent).toMatchObject({ scenario: 'device-silent', deviceKind: 'cuff', messagesInWindow: 0, expectedAlert: { level: 'warning' } });
  });
});

describe('command line', () => {
  const now = Date.parse('2026-11-05T10:20:30.456Z');

  test('defaults, fast runs and live runs', () => {
    const live = parseCliOptions([], {}, now);
    expect(live).toMatchObject({ patients: 10, seed: 'serium', mqtt: 'mqtt://127.0.0.1:1884', tenant: 'default', format: 'compact', speed: 1, to: Infinity, maxInFlight: 200 });
    expect(live.from).toBe(Date.parse('2026-11-05T10:20:30Z'));
    const backfill = parseCliOptions(['--from', '2026-11-01T00:00:00Z', '--days', '3', '--scenario', 'hypoxia:2@+30m', '--scenario', 'weight-gain:1@+1d'], { MQTT_URL: 'mqtt://broker:1883' }, now);
    expect(backfill).toMatchObject({ from: Date.parse('2026-11-01T00:00:00Z'), to: Date.parse('2026-11-04T00:00:00Z'), speed: undefined, mqtt: 'mqtt://broker:1883' });
    expect(backfill.scenarios.map((s) => s.kind)).toEqual(['hypoxia', 'weight-gain']);
    const lastHours = parseCliOptions(['--fast', '--hours', '2', '--minutes', '30'], {}, now);
    expect(lastHours.to - lastHours.from).toBe(2.5 * hour);
    expect(lastHours.to).toBe(Date.parse('2026-11-05T10:20:30Z'));
    expect(parseCliOptions(['--speed', '60', '--from', 'now', '--minutes', '10'], {}, now)).toMatchObject({ speed: 60 });
  });

  test.each([
    [['--patients', '0']],
    [['--patients', '2.5']],
    [['--speed', '-1']],
    [['--fast', '--speed', '2']],
    [['--format', 'xml']],
    [['--from', 'yesterday']],
    [['--days', '0']],
    [['--scenario', 'hypoxia:1']],
    [['--nope']],
    [['extra']],
  ])('%j is refused with a message', (argv) => {
    expect(() => parseCliOptions(argv, {}, now)).toThrow(UsageError);
  });

  test('a run registers, publishes and prints the JSON summary', async () => {
    const publisher = memoryPublisher();
    const requests: { url: string; method?: string; body: Resource }[] = [];
    const fakeFetch = (async (url: string, init: RequestInit) => {
      requests.push({ url, method: init.method, body: JSON.parse(String(init.body)) });
      return new Response('{}', { status: 200 });
    }) as typeof fetch;
    let out = '';
    const code = await runCommand({
      argv: ['--patients', '2', '--from', '2026-11-02T06:00:00Z', '--minutes', '10', '--register', '--fhir', 'http://fhir.test/fhir/', '--quiet', '--scenario', 'hypertensive-crisis:1@+2m'],
      env: {},
      now: () => Date.now(),
      out: (t) => (out += t),
      err: () => {},
      fetch: fakeFetch,
      connect: async () => publisher,
      signal: new AbortController().signal,
    });
    expect(code).toBe(0);
    const summary = JSON.parse(out);
    expect(summary.messages).toBe(publisher.sent.length);
    expect(summary.events[0]).toMatchObject({ scenario: 'hypertensive-crisis', patientId: 'sim-0001', expectedAlert: { level: 'critical' } });
    expect(requests.every((r) => r.method === 'PUT')).toBe(true);
    expect(requests.map((r) => r.url)).toContain('http://fhir.test/fhir/Patient/sim-0002');
    expect(requests.map((r) => r.url)).toContain('http://fhir.test/fhir/Device/sim-0001-watch');

    let err = '';
    const usage = await runCommand({ argv: ['--format', 'xml'], env: {}, now: Date.now, out: () => {}, err: (t) => (err += t), fetch: fakeFetch, connect: async () => publisher, signal: new AbortController().signal });
    expect(usage).toBe(2);
    expect(err).toContain('--format');
  });

  test('live mode paces messages on simulated time', async () => {
    let clock = 1_000_000;
    const fake: Clock = { now: () => clock, sleep: async (ms) => void (clock += ms) };
    const sim = createSimulation({ seed: 'pace', patients: 2 });
    const publisher = memoryPublisher();
    const sentAt: number[] = [];
    const times: number[] = [];
    const reached = await runSimulation(sim, publisher, {
      from: monday,
      to: monday + 5 * minute,
      speed: 60,
      clock: fake,
      onMessage: (m) => {
        sentAt.push(clock);
        times.push(m.time);
      },
    });
    expect(reached).toBe(monday + 5 * minute);
    expect(times.length).toBeGreaterThan(50);
    times.forEach((t, i) => expect(sentAt[i]).toBeGreaterThanOrEqual(1_000_000 + (t - monday) / 60));
    expect(clock - 1_000_000).toBeLessThanOrEqual(5 * second);
    expect(clock - 1_000_000).toBeGreaterThan(4 * second);
  });
});

describe('registration', () => {
  const patients = createPatients(3, 'register', { diabetic: [1], heartFailure: [1] });

  test('PUTs one Patient and its Devices with fixed ids, and says which request failed', async () => {
    const calls: { url: string; body: Record<string, unknown> }[] = [];
    const ok = (async (url: string, init: RequestInit) => {
      calls.push({ url, body: JSON.parse(String(init.body)) });
      return new Response('{}', { status: 201 });
    }) as typeof fetch;
    const count = await registerPatients('http://fhir.test/fhir', patients, ok);
    expect(count).toBe(calls.length);
    const p = patients[0];
    const patient = calls.find((c) => c.url === 'http://fhir.test/fhir/Patient/sim-0001')!.body;
    expect(patient).toMatchObject({ resourceType: 'Patient', id: 'sim-0001', identifier: [{ system: 'urn:serium:pseudonym', value: p.pseudonym }], name: [{ text: 'Simulated 1' }] });
    for (const d of p.devices) {
      const device = calls.find((c) => c.url === `http://fhir.test/fhir/Device/${d.fhirId}`)!.body;
      expect(device).toMatchObject({ identifier: [{ system: 'urn:serium:device', value: d.id }], patient: { reference: 'Patient/sim-0001' }, status: 'active' });
    }
    expect(p.devices.map((d) => d.kind).sort()).toEqual(['cuff', 'glucometer', 'oximeter', 'scale', 'thermometer', 'watch']);
    // the same again: same requests
    const again: string[] = [];
    await registerPatients('http://fhir.test/fhir', patients, (async (url: string, init: RequestInit) => {
      again.push(`${url} ${init.body}`);
      return new Response('{}', { status: 200 });
    }) as typeof fetch);
    expect(again.sort()).toEqual(calls.map((c) => `${c.url} ${JSON.stringify(c.body)}`).sort());

    const refusing = (async () => new Response('{"resourceType":"OperationOutcome"}', { status: 422 })) as unknown as typeof fetch;
    await expect(registerPatients('http://fhir.test/fhir', patients, refusing)).rejects.toThrow(/PUT http:\/\/fhir.test\/fhir\/\w+\/sim-000\d.* answered 422/);
  });

  test("the resources pass Serium's own FHIR validation", () => {
    const { local, terminology } = loadConformance();
    const fhir = new Validator(terminology, local.profiles);
    const isError = (i: OperationOutcomeIssue) => i.severity === 'error' || i.severity === 'fatal';
    for (const resource of patients.flatMap(registrationResources)) {
      expect([resource.id, fhir.issues(resource as unknown as Resource).filter(isError)]).toEqual([resource.id, []]);
    }
  });
});

describe('publishing to Mosquitto', () => {
  const url = process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';

  test('every message arrives once, with QoS 1, and parses', async () => {
    const tenant = `simtest-${randomBytes(4).toString('hex')}`;
    const subscriber = await connectAsync(url, { clientId: `${tenant}-sub`, clean: true });
    const received: { topic: string; payload: string; qos: number }[] = [];
    // a running Serium ingest may answer on serium/<tenant>/<patient>/<device>/errors: not ours
    const ours = (topic: string) => (allMetrics as string[]).includes(topic.split('/')[4]);
    subscriber.on('message', (topic, payload, packet) => ours(topic) && received.push({ topic, payload: payload.toString(), qos: packet.qos }));
    await subscriber.subscribeAsync(`serium/${tenant}/#`, { qos: 1 });
    try {
      const from = monday + 6 * hour + 50 * minute;
      const sim = createSimulation({ seed: 'mosquitto', patients: 3, tenant, format: 'mixed', scenarios: scenarios('hypertensive-crisis:1@+1m', 'hypoxia:2@+2m'), start: from });
      const publisher = await connectPublisher(url, 16);
      const published: { topic: string; payload: string }[] = [];
      await runSimulation(sim, publisher, { from, to: from + 12 * minute, onMessage: (m) => published.push({ topic: m.topic, payload: m.payload }) });
      await publisher.close();
      expect(published.length).toBeGreaterThan(300);
      const deadline = Date.now() + 20_000;
      while (received.length < published.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 200)); // nothing extra after
      const wire = (ms: { topic: string; payload: string }[]) => ms.map((m) => `${m.topic} ${m.payload}`).sort();
      expect(received.length).toBe(published.length);
      expect(wire(received)).toEqual(wire(published));
      expect(received.every((m) => m.qos === 1)).toBe(true);
      const formats = new Set<string>();
      for (const m of received) {
        const payload = JSON.parse(m.payload);
        formats.add(payload.format ?? (Array.isArray(payload) ? 'omh-array' : 'omh'));
        expect(m.topic.split('/')).toHaveLength(5);
      }
      expect(formats).toEqual(new Set(['serium-compact/1', 'omh', 'omh-array']));
    } finally {
      await subscriber.endAsync();
    }
  });
});
