import type { Observation, ObservationComponent } from '@medplum/fhirtypes';
import { aggregateCategory, loinc, ucum } from '../src/bots/aggregates.js';
import type { Bot } from '../src/bots/bot.js';
import { usableValues } from '../src/ingest/sampled-observation.js';

/**
 * Heart-rate statistics of each minute of a 1 Hz stream: for every packed minute (an Observation
 * with valueSampledData), an aggregate Observation with the mean, median, minimum, maximum,
 * standard deviation and count of its samples as observation-statistics components, derived from
 * the minute. Samples with a quality flag (motion, poor contact, ...) are left out. A late sample
 * gives the minute a new version and the aggregate is computed again (same id, new version only
 * when a figure changed).
 */

const statistics = 'http://terminology.hl7.org/CodeSystem/observation-statistics';

/** Mean, median, minimum, maximum, sample standard deviation (n ≥ 2) and count, rounded to 0.01. */
export function minuteStatistics(values: number[]): Record<string, number> {
  const n = values.length;
  const sorted = [...values].sort((a, b) => a - b);
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const round = (x: number) => Math.round(x * 100) / 100;
  const out: Record<string, number> = { average: round(mean), median: round(median), minimum: sorted[0], maximum: sorted[n - 1], count: n };
  if (n >= 2) out['std-dev'] = round(Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)));
  return out;
}

export const bot: Bot = {
  id: 'heart-rate-minute',
  title: 'Serium heart-rate minute statistics',
  writes: ['Observation'],
  async handle({ resource }, ctx) {
    if (resource?.resourceType !== 'Observation' || !resource.id || !resource.valueSampledData) return;
    if (!resource.code?.coding?.some((c) => c.system === loinc && c.code === '8867-4')) return;
    const values = usableValues(resource);
    if (!values.length) return;
    const component: ObservationComponent[] = Object.entries(minuteStatistics(values)).map(([code, value]) => ({
      code: { coding: [{ system: statistics, code }] },
      valueQuantity: code === 'count' ? { value, unit: 'observations', system: ucum, code: '{observations}' } : { value, unit: '/min', system: ucum, code: '/min' },
    }));
    const { extension: _e, ...period } = resource.effectivePeriod ?? {};
    const aggregate: Observation = {
      resourceType: 'Observation',
      status: 'final',
      category: [aggregateCategory],
      code: resource.code,
      subject: resource.subject,
      effectivePeriod: period,
      method: { text: 'Statistics of the minute of 1 Hz samples; samples with a quality flag left out' },
      device: resource.device,
      derivedFrom: [{ reference: `Observation/${resource.id}` }],
      component,
    };
    await ctx.upsert(aggregate, resource.id);
  },
};
