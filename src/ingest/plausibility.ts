import { Rejection } from './reading.js';

/** An inclusive range of values that a body can produce, in a canonical UCUM unit. */
export interface PlausibleRange {
  min: number;
  max: number;
  unit: string;
}

/**
 * The plausibility table. A value outside its range is rejected as `implausible`, the whole
 * message with it. Temperatures sent in [degF] are converted to Cel for the check only.
 * Further rules: systolic must be above diastolic; step counts are checked per minute of the
 * reading's interval (a count at a point in time, against one day: 300 × 1440).
 */
export const plausibleRanges = {
  'heart-rate': { min: 30, max: 220, unit: '/min' },
  'oxygen-saturation': { min: 50, max: 100, unit: '%' },
  'systolic-blood-pressure': { min: 50, max: 300, unit: 'mm[Hg]' },
  'diastolic-blood-pressure': { min: 20, max: 200, unit: 'mm[Hg]' },
  'blood-glucose': { min: 10, max: 1000, unit: 'mg/dL' },
  'body-weight': { min: 2, max: 500, unit: 'kg' },
  'body-height': { min: 30, max: 272, unit: 'cm' },
  'body-temperature': { min: 25, max: 45, unit: 'Cel' },
  'respiratory-rate': { min: 3, max: 70, unit: '/min' },
  'body-mass-index': { min: 8, max: 100, unit: 'kg/m2' },
  'step-count': { min: 0, max: 300, unit: '{steps}/min' },
} satisfies Record<string, PlausibleRange>;

export type RangeName = keyof typeof plausibleRanges;

/** The window a step count is checked against when it has no interval: one day. */
export const stepCountDayMs = 24 * 60 * 60 * 1000;

/**
 * Statistics whose value is not a level of the quantity (a spread, or how many values there
 * were): only the sign is checked. Codes of http://terminology.hl7.org/CodeSystem/observation-statistics.
 */
const spreadStatistics = new Set(['std-dev', 'variance', '4-dev', 'count', 'sum']);

/** Whether a value, given its statistic (none for a single measurement), is a level to range-check. */
export const isLevel = (statistic?: string): boolean => !statistic || !spreadStatistics.has(statistic);

/**
 * Throws `implausible` when a level is outside its range, or a spread or count is negative.
 * `shown` is the value as sent, when it differs from the checked one (a [degF] temperature).
 */
export function checkRange(name: RangeName, value: number, field: string, statistic?: string, shown?: string): void {
  const range = plausibleRanges[name];
  const as = shown ? `${shown} (${round(value)} ${range.unit})` : `${value} ${range.unit}`;
  if (!isLevel(statistic)) {
    if (value < 0) throw new Rejection('implausible', `${field} ${as} is negative`);
    return;
  }
  if (value < range.min || value > range.max) {
    throw new Rejection('implausible', `${field} ${as} is outside the plausible range ${range.min}–${range.max} ${range.unit}`);
  }
}

/** Throws `implausible` unless systolic is above diastolic (for levels; a spread may be either way). */
export function checkBloodPressure(systolic: number, diastolic: number, statistic?: string): void {
  if (isLevel(statistic) && !(systolic > diastolic)) {
    throw new Rejection('implausible', `systolic ${systolic} mm[Hg] is not above diastolic ${diastolic} mm[Hg]`);
  }
}

/** Throws `implausible` when a step count is negative or above 300 per minute of its window. */
export function checkSteps(steps: number, windowMs: number, field: string): void {
  const { max } = plausibleRanges['step-count'];
  if (steps < 0) throw new Rejection('implausible', `${field} ${steps} steps is negative`);
  const limit = (max * windowMs) / 60000;
  if (steps > limit) {
    throw new Rejection('implausible', `${field} ${steps} steps in ${windowMs / 60000} min is above ${max} steps per minute (at most ${round(limit)})`);
  }
}

const round = (v: number) => Number(v.toFixed(2));
