import { Rejection, type Metric } from '../reading.js';
import { toCanonical, type Converted } from '../units.js';

/** A body's unit value ({value, unit}, already schema-checked) in the metric's canonical unit. */
export function readQuantity(metric: Metric, unitValue: unknown, field: string): Converted {
  const { value, unit } = unitValue as { value: number; unit: string };
  const converted = toCanonical(metric, value, unit);
  if (!converted) throw new Rejection('schema', `${field}.unit "${unit}" is not a unit Serium reads for ${metric}`);
  return converted;
}
