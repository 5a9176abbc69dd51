import { checkRange, isLevel } from '../plausibility.js';
import type { Reading } from '../reading.js';
import { fahrenheitToCelsius } from '../units.js';
import type { OmhBody } from './body.js';
import { readContext } from './context.js';
import { buildReading } from './observation.js';
import type { Source } from './source.js';
import { readTimeFrame } from './time-frame.js';
import { readQuantity } from './value.js';

/** An omh:body-temperature body (every version): Cel or [degF] as sent, K converted to Cel. */
export function mapBodyTemperature(body: OmhBody, source: Source): Reading {
  const effective = readTimeFrame(body.effective_time_frame, source);
  const context = readContext(body, ['body_temperature']);
  const value = readQuantity('body-temperature', body.body_temperature, 'body_temperature');
  if (value.unit.code === '[degF]' && isLevel(context.statistic)) {
    checkRange('body-temperature', fahrenheitToCelsius(value.value), 'body_temperature', context.statistic, `${value.value} [degF]`);
  } else {
    checkRange('body-temperature', value.value, 'body_temperature', context.statistic);
  }
  return buildReading({ metric: 'body-temperature', effective, context, source, value });
}
