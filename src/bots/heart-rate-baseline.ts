import type { Observation } from '@medplum/fhirtypes';
import { aggregateCategory, effectiveTime, metricSystem, ucum } from './aggregates.js';
import type { BotContext } from './bot.js';

/**
 * A patient's own heart-rate baseline: the mean and standard deviation of the patient's per-minute
 * heart rates (the mean of each packed 1 Hz minute's usable samples) over the 7 days before a
 * window, leaving out the hour before it. To keep that bounded, each hour's minute means are
 * summed up in an hourly summary Observation (rpm-metric#heart-rate-minute-mean-1h: count,
 * average and sample std-dev of the hour's minute means, kept to 4 decimals, and each minute's
 * mean in an extension, so that a minute updates its hour without the hour's samples being read
 * again); a baseline pools at most 168 of them (exactly, but for that rounding) instead of reading
 * 10,080 minutes.
 *
 * Which hours: the 168 whole UTC hours before the hour that precedes the one the window ends in,
 * so between 1 and 2 hours before the window's end are always left out (the episode a z-score is
 * to detect must not raise its own baseline). A baseline is usable with at least 240 minute means
 * (4 hours of wear) on at least 2 different UTC days, and a spread above zero.
 */

const hourMs = 3_600_000;
const dayMs = 86_400_000;
const statistics = 'http://terminology.hl7.org/CodeSystem/observation-statistics';
export const hourSummaryCode = 'heart-rate-minute-mean-1h';
export const baselineRule = { days: 7, minMinutes: 240, minDays: 2 };

export interface HourSummary {
  start: number;
  count: number;
  mean?: number;
  /** Sample standard deviation of the minute means (absent below 2). */
  sd?: number;
}

export interface Baseline {
  /** How many minute means, and on how many UTC days. */
  count: number;
  days: number;
  mean?: number;
  sd?: number;
  usable: boolean;
}

/** The hours a window ending at `end` (ms) takes its baseline from: [start, end). */
export function baselineHours(end: number): [number, number] {
  const last = Math.floor(end / hourMs) * hourMs - hourMs;
  return [last - baselineRule.days * dayMs, last];
}

/** Count, mean and sample standard deviation of some numbers (mean and sd absent as they cannot be had). */
export function summarise(xs: number[]): { count: number; mean?: number; sd?: number } {
  const n = xs.length;
  if (!n) return { count: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  return n < 2 ? { count: n, mean } : { count: n, mean, sd: Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1)) };
}

/**
 * The hours' minute means pooled: Σx = n·mean and Σx² = (n − 1)·sd² + n·mean² per hour, added
 * up, give the mean and the sample standard deviation of all the minute means.
 */
export function pooledBaseline(hours: HourSummary[]): Baseline {
  let n = 0;
  let sum = 0;
  let squares = 0;
  const days = new Set<number>();
  for (const h of hours) {
    if (!h.count || h.mean === undefined) continue;
    n += h.count;
    sum += h.count * h.mean;
    squares += (h.count - 1) * (h.sd ?? 0) ** 2 + h.count * h.mean ** 2;
    days.add(Math.floor(h.start / dayMs));
  }
  if (!n) return { count: 0, days: 0, usable: false };
  const mean = sum / n;
  const sd = n >= 2 ? Math.sqrt(Math.max(0, squares - n * mean * mean) / (n - 1)) : undefined;
  const usable = n >= baselineRule.minMinutes && days.size >= baselineRule.minDays && (sd ?? 0) > 0;
  return { count: n, days: days.size, mean, ...(sd !== undefined ? { sd } : {}), usable };
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;
const statistic = (code: string, display: string, value: number, unit: string) => ({
  code: { coding: [{ system: statistics, code, display }] },
  valueQuantity: unit === '{observations}' ? { value, unit: 'observations', system: ucum, code: unit } : { value, unit, system: ucum, code: unit },
});

/** The minute means an hour's summary was made of, by minute Observation id ("id:mean" pairs). */
export const minuteMeansUrl = 'https://serium.dev/fhir/StructureDefinition/minute-means';

function meansOf(summary: Observation | undefined): Map<string, number> {
  const text = summary?.extension?.find((e) => e.url === minuteMeansUrl)?.valueString ?? '';
  return new Map(text.split(' ').filter(Boolean).map((pair) => [pair.slice(0, pair.lastIndexOf(':')), Number(pair.slice(pair.lastIndexOf(':') + 1))]));
}

/**
 * Puts a minute's mean into the summary of its hour (or takes it out: `mean` undefined, when the
 * minute has no usable sample or was entered in error), and stores the hour's figures again. The
 * summary keeps each minute's mean, so a run reads one summary instead of the hour's minutes.
 */
export async function noteMinuteMean(ctx: BotContext, subject: string, hour: number, minuteId: string, mean: number | undefined): Promise<void> {
  const found = await ctx.search<Observation>('Observation', {
    subject,
    code: `${metricSystem}|${hourSummaryCode}`,
    date: [`ge${new Date(hour).toISOString()}`, `lt${new Date(hour + hourMs).toISOString()}`],
  });
  const means = meansOf(found.find((o) => effectiveTime(o) === hour));
  if (mean === undefined) means.delete(minuteId);
  else means.set(minuteId, round4(mean));
  const ids = [...means.keys()].sort();
  const s = summarise(ids.map((id) => means.get(id)!));
  const summary: Observation = {
    resourceType: 'Observation',
    ...(ids.length ? { extension: [{ url: minuteMeansUrl, valueString: ids.map((id) => `${id}:${means.get(id)}`).join(' ') }] } : {}),
    status: 'final',
    category: [aggregateCategory],
    code: { coding: [{ system: metricSystem, code: hourSummaryCode, display: 'Per-minute mean heart rates of one hour' }], text: 'Per-minute mean heart rates of one hour' },
    subject: { reference: subject },
    effectivePeriod: { start: new Date(hour).toISOString(), end: new Date(hour + hourMs).toISOString() },
    method: { text: 'Count, mean and sample standard deviation of the means of the packed 1 Hz minutes of the hour (quality-flagged samples left out); material for the heart-rate baseline' },
    component: [
      statistic('count', 'Count', s.count, '{observations}'),
      ...(s.mean !== undefined ? [statistic('average', 'Average', round4(s.mean), '/min')] : []),
      ...(s.sd !== undefined ? [statistic('std-dev', 'Standard Deviation', round4(s.sd), '/min')] : []),
    ],
    derivedFrom: ids.map((id) => ({ reference: `Observation/${id}` })),
  };
  await ctx.upsert(summary, `${subject}/${hourSummaryCode}/${hour}`);
}

const part = (o: Observation, code: string) => o.component?.find((c) => c.code?.coding?.some((x) => x.system === statistics && x.code === code))?.valueQuantity?.value;

/** The baseline for a window ending at `end`, from the stored hourly summaries. */
export async function loadBaseline(ctx: BotContext, subject: string, end: number): Promise<Baseline> {
  const [from, to] = baselineHours(end);
  const found = await ctx.search<Observation>('Observation', {
    subject,
    code: `${metricSystem}|${hourSummaryCode}`,
    date: [`ge${new Date(from).toISOString()}`, `lt${new Date(to).toISOString()}`],
    _count: '1000',
  });
  const hours = found
    .filter((o) => o.status === 'final' && effectiveTime(o) >= from && effectiveTime(o) < to)
    .map((o) => ({ start: effectiveTime(o), count: part(o, 'count') ?? 0, mean: part(o, 'average'), sd: part(o, 'std-dev') }))
    .sort((a, b) => a.start - b.start);
  return pooledBaseline(hours);
}
