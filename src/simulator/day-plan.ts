import type { PatientProfile } from './patients.js';
import { Random } from './random.js';
import { hour, localMidnight, localWeekday, minute, second } from './time.js';

export type MealRelation = 'fasting' | 'before lunch' | 'after lunch' | 'before dinner' | 'after dinner' | 'not fasting';

export interface Interval {
  start: number;
  end: number;
}

/** One local day of one patient: when they sleep, walk, eat and take each measurement (UTC ms). */
export interface DayPlan {
  day: number;
  midnight: number;
  wake: number;
  bed: number;
  /** The watch is off the wrist (shower, charging). */
  offWrist: Interval[];
  /** The watch's charging, for its battery level. */
  charging: Interval;
  meals: { breakfast: number; lunch: number; dinner: number };
  walks: (Interval & { cadence: number })[];
  cuffSeries: { start: number; count: number; morning: boolean }[];
  glucoseChecks: { time: number; meal: MealRelation }[];
  weighing?: number;
  /** Height is entered with the first weighing of the week (Monday). */
  weighHeight: boolean;
  temperature?: { time: number; onWaking: boolean };
  oximetry: number[];
}

/** The plan of a local day: a pure function of seed, patient and day. */
export function dayPlan(patient: PatientProfile, seed: string, day: number): DayPlan {
  const r = new Random(seed, 'day', patient.index, day);
  const midnight = localMidnight(day, patient.offsetMinutes);
  const at = (h: number) => whole(midnight + h * hour);
  const after = (t: number, minMinutes: number, maxMinutes: number) => whole(t + r.between(minMinutes, maxMinutes) * minute);

  const wake = at(clamp(r.normal(patient.wakeTime, 0.3), 5.5, 8.5));
  const bed = at(clamp(r.normal(patient.bedtime, 0.3), 21, 23.9));
  const charging = { start: at(r.between(17.5, 20.5)), end: 0 };
  charging.end = after(charging.start, 40, 80);
  const offWrist: Interval[] = [charging];
  if (r.chance(0.7)) {
    const start = after(wake, 20, 50);
    offWrist.push({ start, end: after(start, 10, 20) });
  }

  const breakfast = after(wake, 30, 60);
  const meals = { breakfast, lunch: at(r.between(12, 13.25)), dinner: at(r.between(18, 19.5)) };

  const walks: DayPlan['walks'] = [];
  const walkCount = r.int(1, 3);
  for (let i = 0; i < walkCount; i++) {
    const start = whole(r.between(wake + hour, bed - 2 * hour));
    walks.push({ start, end: after(start, 10 * patient.activity, 35 * patient.activity), cadence: r.between(75, 105) });
  }

  const cuffSeries: DayPlan['cuffSeries'] = [];
  if (r.chance(0.93)) cuffSeries.push({ start: after(wake, 15, 50), count: r.int(2, 3), morning: true });
  if (r.chance(0.9)) cuffSeries.push({ start: after(bed, -75, -30), count: r.int(2, 3), morning: false });

  const glucoseChecks: DayPlan['glucoseChecks'] = [];
  if (patient.diabetic) {
    if (r.chance(0.9)) glucoseChecks.push({ time: after(wake, 5, 20), meal: 'fasting' });
    if (r.chance(0.4)) glucoseChecks.push({ time: after(meals.lunch, -15, -5), meal: 'before lunch' });
    if (r.chance(0.3)) glucoseChecks.push({ time: after(meals.lunch, 110, 130), meal: 'after lunch' });
    if (r.chance(0.5)) glucoseChecks.push({ time: after(meals.dinner, -15, -5), meal: 'before dinner' });
    if (r.chance(0.3)) glucoseChecks.push({ time: after(meals.dinner, 110, 130), meal: 'after dinner' });
  }

  const weighing = r.chance(0.93) ? after(wake, 5, 25) : undefined;
  let temperature: DayPlan['temperature'];
  if (r.chance(0.3)) temperature = { time: after(wake, 2, 10), onWaking: true };
  else if (r.chance(0.1)) temperature = { time: at(r.between(19, 21)), onWaking: false };

  const oximetry: number[] = [];
  if (patient.devices.some((d) => d.kind === 'oximeter')) {
    oximetry.push(after(wake, 30, 70));
    if (patient.heartFailure || r.chance(0.3)) oximetry.push(at(r.between(19, 21)));
  }

  return {
    day,
    midnight,
    wake,
    bed,
    offWrist,
    charging,
    meals,
    walks,
    cuffSeries,
    glucoseChecks,
    weighing,
    weighHeight: weighing !== undefined && localWeekday(day) === 1,
    temperature,
    oximetry,
  };
}

export function isAsleep(plan: DayPlan, t: number): boolean {
  return t < plan.wake || t >= plan.bed;
}

export function isOffWrist(plan: DayPlan, t: number): boolean {
  return plan.offWrist.some((i) => t >= i.start && t < i.end);
}

/**
 * Steps in each local minute of the day (1440 entries); -1 where the watch reports nothing
 * (asleep or off the wrist).
 */
export function stepsOfDay(plan: DayPlan, patient: PatientProfile, seed: string): Int16Array {
  const r = new Random(seed, 'steps', patient.index, plan.day);
  const steps = new Int16Array(1440);
  for (let m = 0; m < 1440; m++) {
    const start = plan.midnight + m * minute;
    const end = start + minute;
    if (isAsleep(plan, start) || isAsleep(plan, end - 1) || isOffWrist(plan, start) || isOffWrist(plan, end - 1)) {
      steps[m] = -1;
      continue;
    }
    let count = 0;
    for (const w of plan.walks) {
      const overlap = Math.min(end, w.end) - Math.max(start, w.start);
      if (overlap > 0) count += (w.cadence * overlap) / minute + r.normal(0, 6);
    }
    if (count === 0 && r.chance(0.22)) count = r.int(3, 30);
    steps[m] = Math.max(0, Math.round(count));
  }
  return steps;
}

function whole(ms: number): number {
  return Math.round(ms / second) * second;
}

function clamp(x: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, x));
}
