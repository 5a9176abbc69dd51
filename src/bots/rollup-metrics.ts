import type { Observation, Quantity } from '@medplum/fhirtypes';
import { fahrenheitToCelsius, glucoseMgPerDlPerMmolPerL } from '../ingest/units.js';
import { usableValues } from '../ingest/sampled-observation.js';
import { effectiveTime, isAggregate, loinc, ucum } from './aggregates.js';

/**
 * The metrics the hourly and daily rollups cover: the LOINC code a rollup carries, its unit, the
 * LOINC codes of the readings that feed it (and, for blood pressure, the panel component), and
 * how other units convert to the rollup's.
 */
export interface RollupMetric {
  id: string;
  code: string;
  display: string;
  /** UCUM code of the rollup's values. */
  unit: string;
  /** Readings coded with one of these carry the value themselves (valueQuantity or valueSampledData). */
  readingCodes: string[];
  /** A panel coded with this carries the value in the component coded `code` (blood pressure). */
  panelCode?: string;
  /** Other units the value may come in, each to the rollup's unit. */
  convert?: Record<string, (v: number) => number>;
}

const bpPanel = '85354-9';

export const rollupMetrics: RollupMetric[] = [
  { id: 'heart-rate', code: '8867-4', display: 'Heart rate', unit: '/min', readingCodes: ['8867-4'] },
  { id: 'oxygen-saturation', code: '2708-6', display: 'Oxygen saturation in Arterial blood', unit: '%', readingCodes: ['2708-6'] },
  { id: 'systolic', code: '8480-6', display: 'Systolic blood pressure', unit: 'mm[Hg]', readingCodes: ['8480-6'], panelCode: bpPanel },
  { id: 'diastolic', code: '8462-4', display: 'Diastolic blood pressure', unit: 'mm[Hg]', readingCodes: ['8462-4'], panelCode: bpPanel },
  {
    id: 'glucose',
    code: '41653-7',
    display: 'Glucose [Mass/volume] in Capillary blood by Glucometer',
    unit: 'mg/dL',
    // every meter reading, whatever its meal context (the codes glucose-daily reads)
    readingCodes: ['41653-7', '88365-2', '87422-2'],
    convert: { 'mmol/L': (v) => v * glucoseMgPerDlPerMmolPerL },
  },
  { id: 'body-weight', code: '29463-7', display: 'Body weight', unit: 'kg', readingCodes: ['29463-7'], convert: { g: (v) => v / 1000, '[lb_av]': (v) => v * 0.45359237 } },
  { id: 'body-temperature', code: '8310-5', display: 'Body temperature', unit: 'Cel', readingCodes: ['8310-5'], convert: { '[degF]': fahrenheitToCelsius } },
  { id: 'respiratory-rate', code: '9279-1', display: 'Respiratory rate', unit: '/min', readingCodes: ['9279-1'] },
];

const loincCodes = (o: Observation) => (o.code?.coding ?? []).filter((c) => c.system === loinc).map((c) => c.code ?? '');

/** Whether the Observation is coded as a reading of the metric (whatever its status or values). */
export function measures(o: Observation, m: RollupMetric): boolean {
  const codes = loincCodes(o);
  return codes.some((c) => m.readingCodes.includes(c)) || (m.panelCode !== undefined && codes.includes(m.panelCode));
}

/** A reading the rollups take: not an aggregate, not entered in error, placed in time. */
export const isRollupInput = (o: Observation) => !isAggregate(o) && o.status !== 'entered-in-error' && !Number.isNaN(effectiveTime(o));

function quantityIn(q: Quantity | undefined, m: RollupMetric): number | undefined {
  if (q?.value === undefined || (q.system ?? ucum) !== ucum) return undefined;
  if (q.code === m.unit) return q.value;
  const convert = q.code ? m.convert?.[q.code] : undefined;
  return convert ? convert(q.value) : undefined;
}

/**
 * The values the Observation gives the metric, in the metric's unit: its valueQuantity, the
 * usable samples of its valueSampledData (quality-flagged samples left out), or the panel
 * component. Values in a unit that does not convert are left out.
 */
export function metricValues(o: Observation, m: RollupMetric): number[] {
  const codes = loincCodes(o);
  if (codes.some((c) => m.readingCodes.includes(c))) {
    if (o.valueQuantity) {
      const v = quantityIn(o.valueQuantity, m);
      return v === undefined ? [] : [v];
    }
    if (o.valueSampledData) {
      const origin = o.valueSampledData.origin;
      const convert = origin?.code === m.unit || !origin?.code ? (v: number) => v : m.convert?.[origin.code];
      return convert ? usableValues(o).map(convert) : [];
    }
  }
  if (m.panelCode && codes.includes(m.panelCode)) {
    const part = o.component?.find((c) => c.code?.coding?.some((x) => (x.system ?? loinc) === loinc && x.code === m.code));
    const v = quantityIn(part?.valueQuantity, m);
    return v === undefined ? [] : [v];
  }
  return [];
}
