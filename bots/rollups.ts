import type { Observation, ObservationComponent } from '@medplum/fhirtypes';
import { aggregateCategory, effectiveTime, loinc, metricSystem, ucum } from '../src/bots/aggregates.js';
import type { Bot, BotContext } from '../src/bots/bot.js';
import { isAggregate } from '../src/bots/aggregates.js';
import { isRollupInput, measures, metricValues, rollupMetrics, type RollupMetric } from '../src/bots/rollup-metrics.js';
import { rollupFigures, type RollupFigures } from '../src/bots/rollup-statistics.js';
import { distributionOf, formatDistribution, mergeDistributions, parseDistribution, type Distribution } from '../src/bots/value-distribution.js';

/**
 * Hourly and daily rollups: for each reading of heart rate (1 Hz minutes and spot readings),
 * SpO2, systolic and diastolic blood pressure (the components of the 85354-9 panel), glucose
 * (every meter reading in mg/dL, with or without meal context, rolled up together under 41653-7),
 * body weight, body temperature and respiratory rate, the rollup of the UTC hour and of the UTC day
 * that contain it. A rollup is an aggregate Observation with the metric's LOINC code,
 * effectivePeriod the hour or the day, method rpm-metric#rollup-1h or #rollup-1d, and one
 * component per statistic: count, average, minimum, maximum, std-dev (observation-statistics
 * codes) and the 10th and 90th percentiles (rpm-metric#percentile-10 and #percentile-90:
 * observation-statistics has no 10th or 90th percentile, only 20-percent and 80-percent).
 *
 * Values: each usable sample of a 1 Hz minute and each spot reading counts as one value; samples
 * with a quality flag, readings entered in error and aggregates (aggregate category, or
 * derivedFrom present) are left out; other units convert to the rollup's ([degF] to Cel, mmol/L
 * to mg/dL, g and [lb_av] to kg). Std-dev is the sample standard deviation (n − 1); percentiles
 * interpolate linearly between the closest ranks (as $stats): see src/bots/rollup-statistics.ts.
 *
 * Cost: a reading makes the bot compute its hour again from the hour's readings (at most 60
 * packed minutes, 3,600 samples, for 1 Hz heart rate), and its day from the day's hourly rollups
 * (at most 24), never from the day's raw samples (86,400); an hour that comes out as it was stored
 * leaves its day alone. The daily figures are exact nonetheless, percentiles included: each
 * hourly rollup carries its value distribution (each distinct value
 * and its count, extension value-distribution), and the day adds up the hours' counts. Its size
 * is the number of distinct values in the hour, a few dozen for whole beats per minute; values
 * with decimals can make it as long as the hour's readings, which bounds it still.
 *
 * A late reading (or one entered in error later) recomputes its hour and its day. Runs for the
 * same patient and day take turns (a lock), so the last to write has seen every input.
 */

const statistics = 'http://terminology.hl7.org/CodeSystem/observation-statistics';
const hourMs = 3_600_000;
const dayMs = 86_400_000;
export const distributionUrl = 'https://serium.dev/fhir/StructureDefinition/value-distribution';
export const rollupMethods = {
  hour: { code: 'rollup-1h', display: 'Hourly rollup' },
  day: { code: 'rollup-1d', display: 'Daily rollup' },
};
type Level = keyof typeof rollupMethods;

const methodText: Record<Level, string> = {
  hour: 'Statistics of every usable value of the UTC hour (each unflagged 1 Hz sample, each spot reading; entered-in-error readings and aggregates left out). std-dev: sample (n − 1); percentiles: linear interpolation between closest ranks.',
  day: "Statistics of every usable value of the UTC day, combined exactly from the hourly rollups' value distributions. std-dev: sample (n − 1); percentiles: linear interpolation between closest ranks.",
};

function components(f: RollupFigures, unit: string): ObservationComponent[] {
  const quantity = (value: number) => ({ value, unit, system: ucum, code: unit });
  const stat = (system: string, code: string, display: string, value: number | undefined): ObservationComponent[] =>
    value === undefined ? [] : [{ code: { coding: [{ system, code, display }] }, valueQuantity: quantity(value) }];
  return [
    { code: { coding: [{ system: statistics, code: 'count', display: 'Count' }] }, valueQuantity: { value: f.count, unit: 'observations', system: ucum, code: '{observations}' } },
    ...stat(statistics, 'average', 'Average', f.average),
    ...stat(statistics, 'minimum', 'Minimum', f.minimum),
    ...stat(statistics, 'maximum', 'Maximum', f.maximum),
    ...stat(statistics, 'std-dev', 'Standard Deviation', f.stdDev),
    ...stat(metricSystem, 'percentile-10', '10th percentile', f.p10),
    ...stat(metricSystem, 'percentile-90', '90th percentile', f.p90),
  ];
}

function rollup(m: RollupMetric, subject: string, level: Level, start: number, d: Distribution, from: Observation[]): Observation {
  const end = start + (level === 'hour' ? hourMs : dayMs);
  return {
    resourceType: 'Observation',
    ...(level === 'hour' && d.size ? { extension: [{ url: distributionUrl, valueString: formatDistribution(d) }] } : {}),
    status: 'final',
    category: [aggregateCategory],
    code: { coding: [{ system: loinc, code: m.code, display: m.display }], text: `${m.display}, ${rollupMethods[level].display.toLowerCase()}` },
    subject: { reference: subject },
    effectivePeriod: { start: new Date(start).toISOString(), end: new Date(end).toISOString() },
    method: { coding: [{ system: metricSystem, ...rollupMethods[level] }], text: methodText[level] },
    component: components(rollupFigures(d), m.unit),
    derivedFrom: from.map((o) => ({ reference: `Observation/${o.id}` })),
  };
}

const source = 'urn:serium:bot:rollups';
const isHourly = (o: Observation) => o.method?.coding?.some((c) => c.system === metricSystem && c.code === rollupMethods.hour.code) ?? false;
const byTime = (a: Observation, b: Observation) => effectiveTime(a) - effectiveTime(b) || (a.id ?? '').localeCompare(b.id ?? '');
const range = (start: number, end: number) => [`ge${new Date(start).toISOString()}`, `lt${new Date(end).toISOString()}`];

/** The hour's rollup, from its readings; whether it changed. */
async function hourly(ctx: BotContext, subject: string, m: RollupMetric, start: number): Promise<boolean> {
  const codes = [...m.readingCodes, ...(m.panelCode ? [m.panelCode] : [])];
  const found = await ctx.search<Observation>('Observation', { subject, code: codes.map((c) => `${loinc}|${c}`).join(','), date: range(start, start + hourMs), _count: '1000' });
  const used: Observation[] = [];
  const values: number[] = [];
  for (const o of found.filter((o) => isRollupInput(o) && measures(o, m) && effectiveTime(o) >= start && effectiveTime(o) < start + hourMs).sort(byTime)) {
    const mine = metricValues(o, m);
    if (!mine.length) continue;
    used.push(o);
    values.push(...mine);
  }
  return (await ctx.upsert(rollup(m, subject, 'hour', start, distributionOf(values), used), `${subject}/${m.id}/hour/${start}`)).changed;
}

/** The day's rollup, from its hourly rollups. */
async function daily(ctx: BotContext, subject: string, m: RollupMetric, start: number): Promise<void> {
  // this bot's Observations of the metric in the day (meta.source is indexed; the method parameter is not as quick)
  const hours = (await ctx.search<Observation>('Observation', { subject, code: `${loinc}|${m.code}`, _source: source, date: range(start, start + dayMs), _count: '100' }))
    .filter((o) => isHourly(o) && o.status === 'final' && effectiveTime(o) >= start && effectiveTime(o) < start + dayMs)
    .sort(byTime);
  const parts = hours.map((o) => ({ o, d: parseDistribution(o.extension?.find((e) => e.url === distributionUrl)?.valueString ?? '') ?? new Map() }));
  const used = parts.filter((p) => p.d.size);
  await ctx.upsert(rollup(m, subject, 'day', start, mergeDistributions(used.map((p) => p.d)), used.map((p) => p.o)), `${subject}/${m.id}/day/${start}`);
}

export const bot: Bot = {
  id: 'rollups',
  title: 'Serium hourly and daily rollups',
  writes: ['Observation'],
  async handle({ resource }, ctx) {
    if (resource?.resourceType !== 'Observation' || isAggregate(resource)) return;
    const subject = resource.subject?.reference;
    const at = effectiveTime(resource);
    if (!subject || Number.isNaN(at)) return;
    const metrics = rollupMetrics.filter((m) => measures(resource, m));
    if (!metrics.length) return;
    const day = Math.floor(at / dayMs) * dayMs;
    // runs for the same patient and day take turns, so the last to write has seen every input
    await ctx.lock(`rollups/${subject}/${day}`);
    for (const m of metrics) {
      // the day is made of the hours: an hour that came out as it was leaves the day as it was
      if (await hourly(ctx, subject, m, Math.floor(at / hourMs) * hourMs)) await daily(ctx, subject, m, day);
    }
  },
};
