import type { DayPlan } from './day-plan.js';
import type { PatientProfile } from './patients.js';
import { bloodPressureSeries, glucose, spotOxygenSaturation, temperature, weight, clampRound, baselineRanges } from './physiology.js';
import { Random } from './random.js';
import type { SimReading } from './readings.js';
import { isDisplaced, weightGainAt, type ScenarioEvent } from './scenarios.js';
import { day, minute, second } from './time.js';

/**
 * The readings of the patient's spot-measuring devices (cuff, glucometer, scale, thermometer,
 * oximeter) measured on one local day, scenario readings included, in time order.
 */
export function spotReadings(patient: PatientProfile, seed: string, plan: DayPlan, events: readonly ScenarioEvent[]): SimReading[] {
  const r = new Random(seed, 'spot', patient.index, plan.day);
  const has = (kind: string) => patient.devices.some((d) => d.kind === kind);
  const out: SimReading[] = [];
  const delay = (min: number, max: number) => Math.round(r.between(min, max)) * second;

  if (has('cuff')) {
    for (const sitting of plan.cuffSeries) {
      const series = bloodPressureSeries(patient, r, sitting.count, sitting.morning);
      if (isDisplaced(events, 'cuff', sitting.start)) continue;
      const times = series.map((_, i) => sitting.start + i * minute + delay(0, 8));
      const syncAt = times[times.length - 1] + delay(15, 40);
      series.forEach((bp, i) => {
        out.push({ metric: 'blood-pressure', device: 'cuff', time: times[i], durationMs: 0, value: bp.systolic, diastolic: bp.diastolic, syncAt });
        out.push({ metric: 'heart-rate', device: 'cuff', time: times[i], durationMs: 0, value: bp.pulse, syncAt });
      });
    }
  }
  if (has('glucometer')) {
    for (const check of plan.glucoseChecks) {
      const value = glucose(patient, r, check.meal);
      const syncAt = check.time + delay(5, 40);
      if (isDisplaced(events, 'glucometer', check.time)) continue;
      out.push({ metric: 'blood-glucose', device: 'glucometer', time: check.time, durationMs: 0, value, meal: check.meal, syncAt });
    }
  }
  if (has('scale') && plan.weighing !== undefined) {
    const value = Math.round((weight(patient, r) + weightGainAt(events, plan.weighing)) * 10) / 10;
    const syncAt = plan.weighing + delay(5, 20);
    out.push({ metric: 'body-weight', device: 'scale', time: plan.weighing, durationMs: 0, value, syncAt });
    if (plan.weighHeight) out.push({ metric: 'body-height', device: 'scale', time: plan.weighing, durationMs: 0, value: patient.heightCm, syncAt });
  }
  if (has('thermometer') && plan.temperature) {
    const { time, onWaking } = plan.temperature;
    out.push({ metric: 'body-temperature', device: 'thermometer', time, durationMs: 0, value: temperature(patient, r, onWaking), onWaking, syncAt: time + delay(10, 60) });
  }
  if (has('oximeter')) {
    for (const time of plan.oximetry) {
      const syncAt = time + delay(5, 20);
      out.push({ metric: 'oxygen-saturation', device: 'oximeter', time, durationMs: 0, value: spotOxygenSaturation(patient, r), syncAt });
      out.push({ metric: 'heart-rate', device: 'oximeter', time, durationMs: 0, value: clampRound(patient.restingHeartRate + r.normal(2, 4), baselineRanges.heartRate), syncAt });
    }
  }
  for (const e of events) {
    if (e.start >= plan.midnight && e.start < plan.midnight + day) out.push(...scenarioReadings(e, seed));
  }
  return out.sort((a, b) => a.time - b.time);
}

/** The readings a crisis or a hypoglycemia adds; values from the scenario's own random source. */
export function scenarioReadings(event: ScenarioEvent, seed: string): SimReading[] {
  const r = new Random(seed, 'scenario', event.ordinal, event.kind, event.patient);
  if (event.kind === 'hypertensive-crisis') {
    const syncAt = event.start + 2 * minute + 20 * second;
    return [0, 1, 2].flatMap((i) => {
      const time = event.start + i * minute;
      const common = { device: 'cuff' as const, time, durationMs: 0, syncAt };
      return [
        { ...common, metric: 'blood-pressure' as const, value: r.int(182, 198), diastolic: r.int(121, 128) },
        { ...common, metric: 'heart-rate' as const, value: r.int(84, 100) },
      ];
    });
  }
  if (event.kind === 'hypoglycemia') {
    const recheck = event.start + 15 * minute;
    return [
      { metric: 'blood-glucose', device: 'glucometer', time: event.start, durationMs: 0, value: r.int(42, 52), meal: 'not fasting', syncAt: event.start + 20 * second },
      { metric: 'blood-glucose', device: 'glucometer', time: recheck, durationMs: 0, value: r.int(78, 95), meal: 'not fasting', syncAt: recheck + 20 * second },
    ];
  }
  return [];
}
