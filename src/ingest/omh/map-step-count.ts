import { contextCodes } from '../metric-info.js';
import { checkRange, checkSteps, isLevel, stepCountDayMs } from '../plausibility.js';
import type { Reading } from '../reading.js';
import type { OmhBody } from './body.js';
import { readContext } from './context.js';
import { buildReading } from './observation.js';
import type { Source } from './source.js';
import { readTimeFrame } from './time-frame.js';
import { readQuantity } from './value.js';

/** Lengths of the descriptive_statistic_denominator units that are durations. */
const denominatorMs: Record<string, number> = { d: stepCountDayMs, wk: 7 * stepCountDayMs, Mo: 30.4375 * stepCountDayMs };

/**
 * An omh:step-count body: a bare number (1.0, 2.0) or {value, unit: "steps"} (3.0), in {steps}.
 * LOINC 41950-7 when the count covers 24 hours (the interval, or a per-day statistic), else
 * 55423-8. The count is checked against 300 steps per minute of the time it covers: the
 * statistic's denominator when it is a duration, else the interval, else one day.
 */
export function mapStepCount(body: OmhBody, source: Source): Reading {
  const effective = readTimeFrame(body.effective_time_frame, source);
  const context = readContext(body, ['step_count']);
  const raw = body.step_count;
  const value = readQuantity('step-count', typeof raw === 'number' ? { value: raw, unit: 'steps' } : raw, 'step_count');
  const denominator = typeof body.descriptive_statistic_denominator === 'string' ? body.descriptive_statistic_denominator : undefined;
  const perDay = effective.durationMs === stepCountDayMs || (context.statistic !== undefined && denominator === 'd');
  if (isLevel(context.statistic) || context.statistic === 'sum') {
    const covered = effective.durationMs || stepCountDayMs;
    const perDenominator = context.statistic && denominator ? denominatorMs[denominator] : undefined;
    checkSteps(value.value, perDenominator ? Math.min(perDenominator, covered) : covered, 'step_count');
  } else {
    checkRange('step-count', value.value, 'step_count', context.statistic);
  }
  return buildReading({ metric: 'step-count', code: perDay ? [contextCodes.stepsPerDay] : undefined, effective, context, source, value });
}
