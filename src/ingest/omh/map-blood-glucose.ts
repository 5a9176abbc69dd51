import type { Coding } from '@medplum/fhirtypes';
import { contextCodes, metricInfo } from '../metric-info.js';
import { checkRange } from '../plausibility.js';
import type { Reading } from '../reading.js';
import type { OmhBody } from './body.js';
import { readContext } from './context.js';
import { buildReading } from './observation.js';
import type { Source } from './source.js';
import { readTimeFrame } from './time-frame.js';
import { readQuantity } from './value.js';

const preMeal = new Set(['before meal', 'before breakfast', 'before lunch', 'before dinner']);
const postMeal = new Set(['after meal', 'after breakfast', 'after lunch', 'after dinner', '2 hours postprandial']);

/**
 * An omh:blood-glucose body (every version) in mg/dL (mmol/L converted, the value sent kept). The
 * LOINC code follows the relation to a meal: 88365-2 before one, 87422-2 after one, else 41653-7
 * (fasting, not fasting, with a meal, or not said).
 */
export function mapBloodGlucose(body: OmhBody, source: Source): Reading {
  const effective = readTimeFrame(body.effective_time_frame, source);
  const context = readContext(body, ['blood_glucose']);
  const value = readQuantity('blood-glucose', body.blood_glucose, 'blood_glucose');
  checkRange('blood-glucose', value.value, 'blood_glucose', context.statistic);
  return buildReading({ metric: 'blood-glucose', code: codesFor(body.temporal_relationship_to_meal), effective, context, source, value });
}

function codesFor(meal: unknown): Coding[] | undefined {
  const [, ...others] = metricInfo['blood-glucose'].code;
  if (typeof meal !== 'string') return undefined;
  if (preMeal.has(meal)) return [contextCodes.glucosePreMeal, ...others];
  if (postMeal.has(meal)) return [contextCodes.glucosePostMeal, ...others];
  return undefined;
}
