import { isDeviceKind, type DeviceKind } from './devices.js';
import type { Metric } from './metrics.js';
import type { PatientProfile } from './patients.js';
import { day, formatUtc, minute, parseDuration } from './time.js';

export const scenarioKinds = ['hypoxia', 'hypertensive-crisis', 'hypoglycemia', 'weight-gain', 'device-silent'] as const;
export type ScenarioKind = (typeof scenarioKinds)[number];

/** A scenario as asked for: `kind:patient[:device]@time[~duration]`. */
export interface ScenarioSpec {
  kind: ScenarioKind;
  /** 1-based patient index. */
  patient: number;
  device?: DeviceKind;
  /** Absolute UTC ms, or ms after the start of the run. */
  at: { absolute: number } | { relative: number };
  durationMs?: number;
}

/** A scenario placed in simulated time. */
export interface ScenarioEvent {
  /** Position in the run's list, 0-based; seeds the scenario's own values. */
  ordinal: number;
  kind: ScenarioKind;
  patient: number;
  device: DeviceKind;
  /** The metric whose values carry the event (none for device-silent). */
  metric?: Metric;
  start: number;
  end: number;
}

export type AlertLevel = 'critical' | 'warning';

interface KindInfo {
  device: DeviceKind;
  metric?: Metric;
  /** Default length; fixed when the kind takes no duration. */
  durationMs: number;
  takesDuration: boolean;
  level: AlertLevel;
  expect: (durationMs: number) => string;
}

/** Hypoxia descends for this long before the hold and recovers for as long after it. */
export const hypoxiaRampMs = minute;
/** Around a hypoxia the watch is worn, streams SpO2 and respiratory rate, and flags no artefact. */
export const hypoxiaMarginMs = 10 * minute;
/** Scheduled readings of the same device this close to a crisis or a hypoglycemia are skipped. */
const displaceMs = 30 * minute;

export const kinds: Record<ScenarioKind, KindInfo> = {
  hypoxia: {
    device: 'watch',
    metric: 'oxygen-saturation',
    durationMs: 6 * minute,
    takesDuration: true,
    level: 'critical',
    expect: (d) => `SpO2 84-88 % (1 Hz) for ${d / minute} min, with heart rate +12 and respiratory rate +6`,
  },
  'hypertensive-crisis': {
    device: 'cuff',
    metric: 'blood-pressure',
    durationMs: 2 * minute,
    takesDuration: false,
    level: 'critical',
    expect: () => 'series of 3 cuff readings a minute apart, each systolic >= 180 and diastolic >= 120 mmHg',
  },
  hypoglycemia: {
    device: 'glucometer',
    metric: 'blood-glucose',
    durationMs: 15 * minute,
    takesDuration: false,
    level: 'critical',
    expect: () => 'blood glucose 42-52 mg/dL (< 54), then a recheck 15 min later at 78-95 mg/dL',
  },
  'weight-gain': {
    device: 'scale',
    metric: 'body-weight',
    durationMs: 3 * day,
    takesDuration: true,
    level: 'warning',
    expect: (d) => `body weight rises steadily by 2.5 kg over ${d / day} days, then stays up`,
  },
  'device-silent': {
    device: 'watch',
    durationMs: day,
    takesDuration: true,
    level: 'warning',
    expect: (d) => `the device publishes nothing for ${d / minute / 60} h`,
  },
};

/** Parses `hypoxia:2@2026-11-02T03:10:00Z`, `device-silent:3:cuff@+1d`, `hypoxia:1@+30m~10m`. */
export function parseScenario(text: string): ScenarioSpec {
  const m = /^([a-z-]+):(\d+)(?::([a-z]+))?@([^~]+)(?:~(.+))?$/.exec(text.trim());
  if (!m) throw new Error(`scenario "${text}": expected kind:patient[:device]@time[~duration], e.g. hypoxia:2@+30m`);
  const [, kind, patient, device, time, duration] = m;
  if (!(scenarioKinds as readonly string[]).includes(kind)) throw new Error(`scenario "${text}": unknown kind ${kind} (${scenarioKinds.join(', ')})`);
  const k = kind as ScenarioKind;
  if (device !== undefined && (k !== 'device-silent' || !isDeviceKind(device))) {
    throw new Error(`scenario "${text}": a device may be named only for device-silent, one of watch, cuff, scale, glucometer, oximeter, thermometer`);
  }
  let at: ScenarioSpec['at'];
  if (time.startsWith('+')) {
    const relative = parseDuration(time.slice(1));
    if (relative === undefined) throw new Error(`scenario "${text}": bad relative time ${time} (e.g. +30m, +1d2h)`);
    at = { relative };
  } else {
    const absolute = Date.parse(time);
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(time) || Number.isNaN(absolute)) {
      throw new Error(`scenario "${text}": bad time ${time} (RFC 3339 with zone, e.g. 2026-11-02T03:10:00Z, or +30m)`);
    }
    at = { absolute };
  }
  let durationMs: number | undefined;
  if (duration !== undefined) {
    if (!kinds[k].takesDuration) throw new Error(`scenario "${text}": ${k} takes no duration`);
    durationMs = parseDuration(duration);
    if (!durationMs) throw new Error(`scenario "${text}": bad duration ${duration} (e.g. 10m, 2d)`);
  }
  return { kind: k, patient: Number(patient), device: device as DeviceKind | undefined, at, durationMs };
}

/** Places the specs in time (relative to runStart) and checks them against the patients. */
export function resolveScenarios(specs: readonly ScenarioSpec[], runStart: number, patients: readonly PatientProfile[]): ScenarioEvent[] {
  return specs.map((spec, ordinal) => {
    const info = kinds[spec.kind];
    const patient = patients[spec.patient - 1];
    if (!patient) throw new Error(`scenario ${spec.kind}: no patient ${spec.patient} (patients are 1 to ${patients.length})`);
    const device = spec.device ?? info.device;
    if (!patient.devices.some((d) => d.kind === device)) {
      throw new Error(`scenario ${spec.kind}: patient ${spec.patient} has no ${device} (has ${patient.devices.map((d) => d.kind).join(', ')})`);
    }
    const start = 'absolute' in spec.at ? spec.at.absolute : runStart + spec.at.relative;
    return { ordinal, kind: spec.kind, patient: spec.patient, device, metric: info.metric, start, end: start + (spec.durationMs ?? info.durationMs) };
  });
}

/** Patients some scenario needs to be diabetic (hypoglycemia) or in heart failure (weight gain). */
export function requiredConditions(specs: readonly ScenarioSpec[]): { diabetic: number[]; heartFailure: number[] } {
  return {
    diabetic: specs.filter((s) => s.kind === 'hypoglycemia').map((s) => s.patient),
    heartFailure: specs.filter((s) => s.kind === 'weight-gain').map((s) => s.patient),
  };
}

export function expectedAlert(event: ScenarioEvent): { level: AlertLevel; expect: string } {
  const info = kinds[event.kind];
  return { level: info.level, expect: info.expect(event.end - event.start) };
}

export function describeEvent(event: ScenarioEvent): string {
  return `${event.kind} for patient ${event.patient} from ${formatUtc(event.start)} to ${formatUtc(event.end)}`;
}

/** How far into a hypoxia t is: 0 outside, rising to 1 over the descent, 1 in the hold. */
export function hypoxiaDepth(events: readonly ScenarioEvent[], t: number): number {
  let depth = 0;
  for (const e of events) {
    if (e.kind !== 'hypoxia') continue;
    if (t >= e.start && t < e.end) return 1;
    if (t >= e.start - hypoxiaRampMs && t < e.start) depth = Math.max(depth, 1 - (e.start - t) / hypoxiaRampMs);
    if (t >= e.end && t < e.end + hypoxiaRampMs) depth = Math.max(depth, 1 - (t - e.end) / hypoxiaRampMs);
  }
  return depth;
}

/** Within the margin around a hypoxia: watch worn, SpO2 streamed, no artefact flags. */
export function nearHypoxia(events: readonly ScenarioEvent[], t: number): boolean {
  return events.some((e) => e.kind === 'hypoxia' && t >= e.start - hypoxiaMarginMs && t < e.end + hypoxiaMarginMs);
}

/** Extra kilograms from weight-gain scenarios at t: a linear rise to 2.5 kg, then a plateau. */
export function weightGainAt(events: readonly ScenarioEvent[], t: number): number {
  let kg = 0;
  for (const e of events) {
    if (e.kind !== 'weight-gain' || t < e.start) continue;
    kg += 2.5 * Math.min(1, (t - e.start) / (e.end - e.start));
  }
  return kg;
}

/** The device is silent at t. */
export function isSilenced(events: readonly ScenarioEvent[], device: DeviceKind, t: number): boolean {
  return events.some((e) => e.kind === 'device-silent' && e.device === device && t >= e.start && t < e.end);
}

/** A scheduled reading of this device at t gives way to a scenario's readings. */
export function isDisplaced(events: readonly ScenarioEvent[], device: DeviceKind, t: number): boolean {
  return events.some(
    (e) => (e.kind === 'hypertensive-crisis' || e.kind === 'hypoglycemia') && e.device === device && t >= e.start - displaceMs && t < e.end + displaceMs,
  );
}
