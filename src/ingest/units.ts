import type { Quantity } from '@medplum/fhirtypes';
import { lookupUnit, ucumSystem } from '../search/ucum.js';
import { metricInfo } from './metric-info.js';
import type { Metric } from './reading.js';

/** A UCUM unit: its code and the human-readable form written beside it. */
export interface Unit {
  code: string;
  display: string;
}

/** A value in the unit Serium stores, and the value as sent when it had to be converted. */
export interface Converted {
  value: number;
  unit: Unit;
  original?: Quantity;
}

/**
 * The unit strings that payloads use (Open mHealth's "common synonyms", and the UCUM codes
 * themselves), as UCUM.
 */
const payloadUnits: Record<string, Unit> = {
  'beats/min': { code: '/min', display: 'beats/minute' },
  'breaths/min': { code: '/min', display: 'breaths/minute' },
  '/min': { code: '/min', display: '/min' },
  '%': { code: '%', display: '%' },
  mmHg: { code: 'mm[Hg]', display: 'mmHg' },
  'mm[Hg]': { code: 'mm[Hg]', display: 'mmHg' },
  'mg/dL': { code: 'mg/dL', display: 'mg/dL' },
  'mmol/L': { code: 'mmol/L', display: 'mmol/L' },
  fg: { code: 'fg', display: 'fg' },
  pg: { code: 'pg', display: 'pg' },
  ng: { code: 'ng', display: 'ng' },
  ug: { code: 'ug', display: 'ug' },
  mg: { code: 'mg', display: 'mg' },
  g: { code: 'g', display: 'g' },
  kg: { code: 'kg', display: 'kg' },
  'Metric Ton': { code: 't', display: 't' },
  gr: { code: '[gr]', display: 'gr' },
  oz: { code: '[oz_av]', display: 'oz' },
  lb: { code: '[lb_av]', display: 'lb' },
  '[lb_av]': { code: '[lb_av]', display: 'lb' },
  Ton: { code: '[ston_av]', display: 'ton' },
  fm: { code: 'fm', display: 'fm' },
  pm: { code: 'pm', display: 'pm' },
  nm: { code: 'nm', display: 'nm' },
  um: { code: 'um', display: 'um' },
  mm: { code: 'mm', display: 'mm' },
  cm: { code: 'cm', display: 'cm' },
  m: { code: 'm', display: 'm' },
  km: { code: 'km', display: 'km' },
  in: { code: '[in_i]', display: 'in' },
  '[in_i]': { code: '[in_i]', display: 'in' },
  ft: { code: '[ft_i]', display: 'ft' },
  yd: { code: '[yd_i]', display: 'yd' },
  mi: { code: '[mi_i]', display: 'mi' },
  C: { code: 'Cel', display: 'C' },
  Cel: { code: 'Cel', display: 'C' },
  F: { code: '[degF]', display: 'F' },
  '[degF]': { code: '[degF]', display: 'F' },
  K: { code: 'K', display: 'K' },
  steps: { code: '{steps}', display: 'steps' },
  '{steps}': { code: '{steps}', display: 'steps' },
  'kg/m2': { code: 'kg/m2', display: 'kg/m2' },
  'kg/m^2': { code: 'kg/m2', display: 'kg/m2' },
};

/** The UCUM units each metric may be sent in; anything else does not measure it. */
const acceptedUnits: Record<Metric, string[]> = {
  'heart-rate': ['/min'],
  'oxygen-saturation': ['%'],
  'blood-pressure': ['mm[Hg]'],
  'blood-glucose': ['mg/dL', 'mmol/L'],
  'body-weight': ['fg', 'pg', 'ng', 'ug', 'mg', 'g', 'kg', 't', '[gr]', '[oz_av]', '[lb_av]', '[ston_av]'],
  'body-height': ['fm', 'pm', 'nm', 'um', 'mm', 'cm', 'm', 'km', '[in_i]', '[ft_i]', '[yd_i]', '[mi_i]'],
  'body-temperature': ['Cel', '[degF]', 'K'],
  'respiratory-rate': ['/min'],
  'step-count': ['{steps}'],
  'body-mass-index': ['kg/m2'],
};

/** Units stored as sent although they are not the canonical one (the temperature profile allows both). */
const keptAsSent = new Set(['[degF]']);

/** Decimals kept after a conversion, by canonical unit: grams, millimetres, 0.1 mg/dL, 0.01 C. */
const decimalsAfterConversion: Record<string, number> = { kg: 3, cm: 1, 'mg/dL': 1, Cel: 2 };

/** mg/dL per mmol/L of glucose (molar mass 180.16 g/mol). */
export const glucoseMgPerDlPerMmolPerL = 18.016;

/** The UCUM form of a payload's unit string, or undefined when Serium does not know it. */
export function ucumOf(unit: string): Unit | undefined {
  return Object.hasOwn(payloadUnits, unit) ? payloadUnits[unit] : undefined;
}

/**
 * A value in a payload's unit, converted to the metric's canonical unit (MetricInfo.unit):
 * lb to kg, in to cm, mmol/L to mg/dL, K to Cel. [degF] stays as sent. Returns undefined when the
 * unit is unknown or does not measure this metric.
 */
export function toCanonical(metric: Metric, value: number, unit: string): Converted | undefined {
  const from = ucumOf(unit);
  if (!from || !acceptedUnits[metric].includes(from.code)) return undefined;
  const canonical = metricInfo[metric].unit;
  if (from.code === canonical.code) return { value, unit: canonical };
  if (keptAsSent.has(from.code)) return { value, unit: from };
  const original: Quantity = { value, unit: from.display, system: ucumSystem, code: from.code };
  if (from.code === 'mmol/L') return { value: round(value * glucoseMgPerDlPerMmolPerL, canonical.code), unit: canonical, original };
  const source = lookupUnit(from.code);
  const target = lookupUnit(canonical.code);
  if (typeof source !== 'object' || typeof target !== 'object' || source.unit !== target.unit) return undefined;
  const converted = (source.offset + value * source.scale - target.offset) / target.scale;
  return { value: round(converted, canonical.code), unit: canonical, original };
}

/** Degrees Fahrenheit in Celsius, for range checks only. */
export const fahrenheitToCelsius = (value: number): number => ((value - 32) * 5) / 9;

function round(value: number, unit: string): number {
  const decimals = decimalsAfterConversion[unit] ?? 3;
  return Number(value.toFixed(decimals));
}
