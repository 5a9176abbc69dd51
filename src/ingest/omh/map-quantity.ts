import { checkRange, type RangeName } from '../plausibility.js';
import type { Metric } from '../reading.js';
import { readContext } from './context.js';
import type { Mapper } from './mappers.js';
import { buildReading } from './observation.js';
import { readTimeFrame } from './time-frame.js';
import { readQuantity } from './value.js';

/**
 * The mapper of a metric whose body holds one quantity under `property` (heart_rate,
 * oxygen_saturation, body_weight, ...): in the metric's unit (others converted, the value sent
 * kept), range-checked, every other property kept as context.
 */
export function quantityMapper(metric: Metric & RangeName, property: string): Mapper {
  return (body, source) => {
    const effective = readTimeFrame(body.effective_time_frame, source);
    const context = readContext(body, [property]);
    const value = readQuantity(metric, body[property], property);
    checkRange(metric, value.value, property, context.statistic);
    return buildReading({ metric, effective, context, source, value });
  };
}
