import { bloodPressureCodes } from '../metric-info.js';
import { checkBloodPressure, checkRange } from '../plausibility.js';
import type { Reading } from '../reading.js';
import type { OmhBody } from './body.js';
import { readContext } from './context.js';
import { buildReading, quantityOf } from './observation.js';
import type { Source } from './source.js';
import { readTimeFrame } from './time-frame.js';
import { readQuantity } from './value.js';

/** An omh:blood-pressure body (every version) as an 85354-9 panel with systolic and diastolic components. */
export function mapBloodPressure(body: OmhBody, source: Source): Reading {
  const effective = readTimeFrame(body.effective_time_frame, source);
  const context = readContext(body, ['systolic_blood_pressure', 'diastolic_blood_pressure']);
  const systolic = readQuantity('blood-pressure', body.systolic_blood_pressure, 'systolic_blood_pressure');
  const diastolic = readQuantity('blood-pressure', body.diastolic_blood_pressure, 'diastolic_blood_pressure');
  checkRange('systolic-blood-pressure', systolic.value, 'systolic_blood_pressure', context.statistic);
  checkRange('diastolic-blood-pressure', diastolic.value, 'diastolic_blood_pressure', context.statistic);
  checkBloodPressure(systolic.value, diastolic.value, context.statistic);
  const component = [
    { code: { coding: bloodPressureCodes.systolic.map((c) => ({ ...c })) }, valueQuantity: quantityOf(systolic) },
    { code: { coding: bloodPressureCodes.diastolic.map((c) => ({ ...c })) }, valueQuantity: quantityOf(diastolic) },
  ];
  return buildReading({ metric: 'blood-pressure', effective, context, source, component });
}
