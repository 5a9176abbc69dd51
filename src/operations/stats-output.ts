import type { Observation, ObservationComponent, Period } from '@medplum/fhirtypes';
import { percentileFractions, type GroupStats } from '../search/stats.js';
import { ucumSystem } from '../search/ucum.js';

export const statisticsSystem = 'http://terminology.hl7.org/CodeSystem/observation-statistics';
export const statisticsValueSet = 'http://hl7.org/fhir/ValueSet/observation-statistics';
const absentSystem = 'http://terminology.hl7.org/CodeSystem/data-absent-reason';

/** One value of a statistic and the unit it is in, relative to the unit u of the measurements. */
interface Part {
  value: number | null;
  unit: (u: string) => string;
  /** Tells the parts of a statistic with two values (regression) apart. */
  text?: string;
}

const same = (u: string) => u;
const one = () => '1';
const observations = () => '{observations}';
const pct = (g: GroupStats, fraction: number) => g.percentiles?.[percentileFractions.indexOf(fraction)] ?? null;

/**
 * The statistics of the R4 observation-statistics code system, each with its display and its
 * values. Percentiles are percentile_cont (linear interpolation between the closest ranks, at
 * rank 1 + p(n - 1)); std-dev and variance are the sample ones (n - 1); 4-dev is half the
 * interquartile range; regression gives a gradient per day and the value at the window start.
 */
const statistics: Record<string, { display: string; parts: (g: GroupStats) => Part[] }> = {
  average: { display: 'Average', parts: (g) => [{ value: g.average, unit: same }] },
  maximum: { display: 'Maximum', parts: (g) => [{ value: g.maximum, unit: same }] },
  minimum: { display: 'Minimum', parts: (g) => [{ value: g.minimum, unit: same }] },
  count: { display: 'Count', parts: (g) => [{ value: g.count, unit: observations }] },
  'total-count': { display: 'Total Count', parts: (g) => [{ value: g.total, unit: observations }] },
  median: { display: 'Median', parts: (g) => [{ value: pct(g, 0.5), unit: same }] },
  'std-dev': { display: 'Standard Deviation', parts: (g) => [{ value: g.stdDev, unit: same }] },
  sum: { display: 'Sum', parts: (g) => [{ value: g.sum, unit: same }] },
  variance: { display: 'Variance', parts: (g) => [{ value: g.variance, unit: squared }] },
  '20-percent': { display: '20th Percentile', parts: (g) => [{ value: pct(g, 0.2), unit: same }] },
  '80-percent': { display: '80th Percentile', parts: (g) => [{ value: pct(g, 0.8), unit: same }] },
  '4-lower': { display: 'Lower Quartile', parts: (g) => [{ value: pct(g, 0.25), unit: same }] },
  '4-upper': { display: 'Upper Quartile', parts: (g) => [{ value: pct(g, 0.75), unit: same }] },
  '4-dev': { display: 'Quartile Deviation', parts: (g) => [{ value: quartileDeviation(g), unit: same }] },
  '5-1': { display: '1st Quintile', parts: (g) => [{ value: pct(g, 0.2), unit: same }] },
  '5-2': { display: '2nd Quintile', parts: (g) => [{ value: pct(g, 0.4), unit: same }] },
  '5-3': { display: '3rd Quintile', parts: (g) => [{ value: pct(g, 0.6), unit: same }] },
  '5-4': { display: '4th Quintile', parts: (g) => [{ value: pct(g, 0.8), unit: same }] },
  skew: { display: 'Skew', parts: (g) => [{ value: g.skew, unit: one }] },
  kurtosis: { display: 'Kurtosis', parts: (g) => [{ value: g.kurtosis, unit: one }] },
  regression: {
    display: 'Regression',
    parts: (g) => [
      { value: g.slope, unit: (u) => `${u}/d`, text: 'Regression gradient, per day' },
      { value: g.intercept, unit: same, text: 'Regression intercept, at the start of the period' },
    ],
  },
};

export const isComputed = (code: string): boolean => Object.hasOwn(statistics, code);

function quartileDeviation(g: GroupStats): number | null {
  const q1 = pct(g, 0.25);
  const q3 = pct(g, 0.75);
  return q1 === null || q3 === null ? null : Number(((q3 - q1) / 2).toPrecision(12));
}

/** A UCUM unit squared: each simple unit of a plain product or quotient gets exponent 2. */
export function squared(u: string): string {
  if (u === '1') return u;
  if (/^\/?[A-Za-z%[\]_]+([./][A-Za-z%[\]_]+)*$/.test(u)) return u.replace(/[A-Za-z%[\]_]+/g, '$&2');
  return `(${u}).(${u})`;
}

export interface StatisticsTarget {
  coding: { system: string | null; code: string };
  subject: { type: string; id: string };
  period: Period;
  statistics: string[];
}

/**
 * The statistics Observation of one group: the code, subject and window, and one component per
 * statistic (two for regression). A statistic without a value (no measurements, or too few: two
 * for std-dev, variance and regression, three for skew, four for kurtosis) has a dataAbsentReason.
 * With no measurements at all the unit is unknown and count is 0.
 */
export function statisticsObservation(t: StatisticsTarget, g: GroupStats | undefined): Observation {
  const stats: GroupStats = g ?? emptyGroup(t.coding);
  const component: ObservationComponent[] = [];
  for (const code of t.statistics) {
    const def = statistics[code];
    for (const part of def.parts(stats)) {
      const coded = { coding: [{ system: statisticsSystem, code, display: def.display }], ...(part.text ? { text: part.text } : {}) };
      const unit = stats.unit === null ? null : part.unit(stats.unit);
      const countLike = part.unit === observations;
      if (part.value === null || (unit === null && !countLike)) {
        component.push({ code: coded, dataAbsentReason: { coding: [{ system: absentSystem, code: 'not-applicable' }] } });
      } else {
        const u = countLike ? '{observations}' : unit!;
        component.push({ code: coded, valueQuantity: { value: part.value, unit: u, system: ucumSystem, code: u } });
      }
    }
  }
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ ...(stats.system ? { system: stats.system } : {}), code: stats.code }] },
    subject: { reference: `${t.subject.type}/${t.subject.id}` },
    effectivePeriod: t.period,
    component,
  };
}

function emptyGroup(coding: { system: string | null; code: string }): GroupStats {
  return {
    system: coding.system,
    code: coding.code,
    requested: [],
    total: 0,
    count: 0,
    unit: null,
    average: null,
    minimum: null,
    maximum: null,
    sum: null,
    stdDev: null,
    variance: null,
    percentiles: null,
    skew: null,
    kurtosis: null,
    slope: null,
    intercept: null,
  };
}
