import { isAsleep, isOffWrist, type DayPlan } from './day-plan.js';
import { streamed, type QualityFlag, type StreamMetric } from './metrics.js';
import type { PatientProfile } from './patients.js';
import { baselineRanges, clampRound, heartRateTarget, oxygenSaturationTarget, respiratoryRateTarget } from './physiology.js';
import { Random } from './random.js';
import { hypoxiaDepth, nearHypoxia, type ScenarioEvent } from './scenarios.js';
import { hour, minute } from './time.js';

/** In a block's values: the watch sent nothing for the slot; the slot was sent with no value. */
export const absent = -1;
export const noValue = -2;

/** One hour of one streamed metric: a value per slot (second, or minute for steps). */
export interface StreamBlock {
  metric: StreamMetric;
  start: number;
  intervalMs: number;
  values: Int16Array;
  flags: Map<number, QualityFlag[]>;
}

/** What a block needs to know about the patient's days. */
export interface DayLookup {
  planAt(t: number): DayPlan;
  /** Steps in the minute containing t; -1 when the watch reports none. */
  stepsAt(t: number): number;
}

/** Overnight SpO2 and respiratory rate start this long after going to bed. */
const settleMs = 15 * minute;

const smoothing: Record<Exclude<StreamMetric, 'step-count'>, { phi: number; sd: number; artefactRate: number }> = {
  'heart-rate': { phi: 0.97, sd: 2.5, artefactRate: 0.0006 },
  'oxygen-saturation': { phi: 0.95, sd: 0.8, artefactRate: 0.0008 },
  'respiratory-rate': { phi: 0.97, sd: 1.0, artefactRate: 0.0004 },
};

/**
 * One hour (hour index = UTC ms / 3600000) of a watch stream: a pure function of seed, patient,
 * metric, hour and the patient's scenarios. Every slot draws the same count of random numbers
 * whether sent or not, so a scenario changes nothing outside its own window.
 */
export function streamBlock(
  metric: StreamMetric,
  hourIndex: number,
  patient: PatientProfile,
  seed: string,
  days: DayLookup,
  events: readonly ScenarioEvent[],
): StreamBlock {
  const intervalMs = streamed[metric].intervalMs;
  const start = hourIndex * hour;
  const slots = hour / intervalMs;
  const values = new Int16Array(slots);
  const flags = new Map<number, QualityFlag[]>();
  if (metric === 'step-count') {
    for (let i = 0; i < slots; i++) values[i] = days.stepsAt(start + i * intervalMs);
    return { metric, start, intervalMs, values, flags };
  }

  const r = new Random(seed, 'stream', patient.index, metric, hourIndex);
  const { phi, sd, artefactRate } = smoothing[metric];
  const innovation = sd * Math.sqrt(1 - phi * phi);
  let noise = r.normal(0, sd);
  let artefactLeft = 0;
  let artefact: QualityFlag = 'motion';
  let plan = days.planAt(start);
  let steps = 0;
  for (let i = 0; i < slots; i++) {
    const t = start + i * intervalMs;
    if (i % 60 === 0) {
      plan = days.planAt(t);
      steps = (Math.max(0, days.stepsAt(t)) + Math.max(0, days.stepsAt(t - minute))) / 2;
    }
    noise = phi * noise + innovation * r.normal();
    const artefactStart = r.next();
    const artefactLength = r.int(2, 8);
    const artefactNoise = r.normal();
    const dropout = r.next();

    const near = nearHypoxia(events, t);
    const depth = near ? hypoxiaDepth(events, t) : 0;
    const asleep = isAsleep(plan, t);
    const worn = near || !isOffWrist(plan, t);
    const overnight = t >= plan.bed + settleMs || t < plan.wake;
    const sent = metric === 'heart-rate' ? worn : worn && (overnight || near);
    if (!sent) {
      values[i] = absent;
      artefactLeft = 0;
      continue;
    }

    if (!near && artefactLeft === 0 && artefactStart < artefactRate * (steps > 40 ? 4 : 1)) {
      artefactLeft = artefactLength;
      artefact = artefactFor(metric, steps, dropout);
    }
    const flagged = !near && artefactLeft > 0;
    if (flagged) artefactLeft--;

    let value: number;
    if (metric === 'heart-rate') {
      value = heartRateTarget(patient, plan, asleep, steps, t) + noise + 12 * depth + (flagged ? 8 * artefactNoise : 0);
      value = clampRound(value, depth > 0 ? [40, 150] : baselineRanges.heartRate);
    } else if (metric === 'oxygen-saturation') {
      const normal = oxygenSaturationTarget(patient, asleep) + noise - (flagged ? 1.5 * Math.abs(artefactNoise) : 0);
      value = (1 - depth) * normal + depth * (86 + noise);
      value = clampRound(value, depth === 1 ? [84, 88] : depth > 0 ? [84, 100] : baselineRanges.oxygenSaturation);
    } else {
      value = respiratoryRateTarget(patient, asleep, steps) + noise + 6 * depth + (flagged ? 2 * artefactNoise : 0);
      value = clampRound(value, depth > 0 ? [8, 30] : baselineRanges.respiratoryRate);
    }
    values[i] = flagged && artefact === 'poor-contact' && dropout < 0.5 ? noValue : value;
    if (flagged) flags.set(i, [artefact]);
  }
  return { metric, start, intervalMs, values, flags };
}

function artefactFor(metric: StreamMetric, steps: number, draw: number): QualityFlag {
  if (metric === 'heart-rate') return steps > 40 ? 'motion' : draw < 0.7 ? 'poor-contact' : 'low-signal';
  if (metric === 'oxygen-saturation') return draw < 0.45 ? 'low-perfusion' : draw < 0.8 ? 'motion' : 'poor-contact';
  return draw < 0.8 ? 'low-signal' : 'motion';
}
