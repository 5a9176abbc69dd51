import type { DayPlan, MealRelation } from './day-plan.js';
import type { PatientProfile } from './patients.js';
import type { Random } from './random.js';
import { hour } from './time.js';

/**
 * The ranges baseline values stay inside, so that only injected scenarios should raise clinical
 * alerts. Scenario values deliberately leave them.
 */
export const baselineRanges = {
  heartRate: [45, 125],
  oxygenSaturation: [93, 100],
  respiratoryRate: [10, 22],
  systolic: [95, 165],
  diastolic: [55, 100],
  glucose: [72, 280],
  temperature: [35.9, 37.6],
} as const;

/** Heart rate the body tends to at time t: lower asleep (lowest around 3-4 am), higher walking. */
export function heartRateTarget(patient: PatientProfile, plan: DayPlan, asleep: boolean, stepsPerMinute: number, t: number): number {
  const rest = patient.restingHeartRate;
  if (asleep) {
    const sinceBed = t >= plan.bed ? (t - plan.bed) / hour : (t - plan.midnight) / hour + 24 - (plan.bed - plan.midnight) / hour;
    return rest - 9 - 3 * Math.sin(Math.min(1, Math.max(0, sinceBed / 8)) * Math.PI);
  }
  const afterMeal = [plan.meals.breakfast, plan.meals.lunch, plan.meals.dinner].some((m) => t >= m && t < m + hour) ? 3 : 0;
  return rest + 3 + afterMeal + 0.26 * stepsPerMinute;
}

export function oxygenSaturationTarget(patient: PatientProfile, asleep: boolean): number {
  return patient.oxygenSaturation - (asleep ? 0.6 : 0);
}

export function respiratoryRateTarget(patient: PatientProfile, asleep: boolean, stepsPerMinute: number): number {
  return patient.respiratoryRate - (asleep ? 1.5 : 0) + stepsPerMinute / 30;
}

/** One cuff series: 2-3 readings a minute apart, the first usually the highest. */
export function bloodPressureSeries(patient: PatientProfile, r: Random, count: number, morning: boolean): { systolic: number; diastolic: number; pulse: number }[] {
  const sittingSys = patient.systolic + (morning ? 5 : 0) + r.normal(0, 6);
  const sittingDia = patient.diastolic + (morning ? 3 : 0) + r.normal(0, 4);
  const series = [];
  for (let i = 0; i < count; i++) {
    const first = i === 0 ? 4 : 0;
    series.push({
      systolic: clampRound(sittingSys + first + r.normal(0, 4), baselineRanges.systolic),
      diastolic: clampRound(sittingDia + first / 2 + r.normal(0, 3), baselineRanges.diastolic),
      pulse: clampRound(patient.restingHeartRate + 4 + r.normal(0, 4), baselineRanges.heartRate),
    });
  }
  return series;
}

export function glucose(patient: PatientProfile, r: Random, meal: MealRelation): number {
  const fasting = patient.fastingGlucose;
  const mean = meal === 'fasting' ? fasting : meal.startsWith('before') ? fasting + 12 : fasting + (patient.diabetic ? 60 : 30);
  return clampRound(r.normal(mean, patient.diabetic ? 18 : 8), baselineRanges.glucose);
}

/** Morning weight in kg: day-to-day noise of a few hundred grams, at most 0.6 kg. */
export function weight(patient: PatientProfile, r: Random): number {
  return Math.round((patient.weightKg + Math.max(-0.6, Math.min(0.6, r.normal(0, 0.25)))) * 10) / 10;
}

export function temperature(patient: PatientProfile, r: Random, onWaking: boolean): number {
  const value = patient.temperatureC + (onWaking ? -0.1 : 0.2) + r.normal(0, 0.15);
  return Math.round(Math.min(baselineRanges.temperature[1], Math.max(baselineRanges.temperature[0], value)) * 10) / 10;
}

export function spotOxygenSaturation(patient: PatientProfile, r: Random): number {
  return clampRound(patient.oxygenSaturation + r.normal(0, 1), [94, 99]);
}

export function clampRound(x: number, [min, max]: readonly [number, number]): number {
  return Math.round(Math.min(max, Math.max(min, x)));
}
