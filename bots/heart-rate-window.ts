import type { Observation, ObservationComponent } from '@medplum/fhirtypes';
import { aggregateCategory, effectiveTime, isAggregate, loinc, metricSystem, ucum } from '../src/bots/aggregates.js';
import type { Bot, BotContext } from '../src/bots/bot.js';
import { baselineHours, baselineRule, loadBaseline, noteMinuteMean, type Baseline } from '../src/bots/heart-rate-baseline.js';
import { usableValues } from '../src/ingest/sampled-observation.js';

/**
 * Heart rate over a 5-minute sliding window, against the patient's own habit. For each packed
 * 1 Hz heart-rate minute (valueSampledData, category vital-signs, as the ingest stores it), the
 * window of the 5 minutes ending with it (one window per minute end,
 * effectivePeriod from the start of its first minute to the end of its last) gets one aggregate
 * Observation, rpm-metric#heart-rate-5min-window, with components:
 * - average (observation-statistics, /min): the mean of the window's usable samples (samples with
 *   a quality flag and minutes entered in error left out); count: how many samples;
 * - z-score (rpm-metric, unit 1): (average − baseline mean) / baseline standard deviation;
 * - ewma (rpm-metric, /min): the exponentially weighted moving average of the window averages,
 *   ewma = 0.3 × average + 0.7 × the ewma of the previous window, as stored (a running EWMA);
 * - ewma-z-score (rpm-metric, unit 1): (ewma − baseline mean) / baseline standard deviation;
 * - baseline-average, baseline-std-dev (/min) and baseline-count (minute means) it was scored against.
 *
 * Baseline (src/bots/heart-rate-baseline.ts): the mean and standard deviation of the patient's
 * per-minute means over the 7 days before the window, leaving out the last 1 to 2 hours (whole UTC
 * hours). With fewer than 240 minute means, or all on one UTC day, the z-scores are absent
 * (dataAbsentReason not-performed, its text saying how thin the baseline is). Its spread is that of
 * single minutes, a little wider than that of 5-minute means, so the z-scores err on the low side.
 *
 * EWMA: the previous window is the latest one ending 1 to 5 minutes before. After a gap (none:
 * 5 minutes or more without a packed minute) the EWMA starts again from the window's own average,
 * and a note says so. derivedFrom: the window's minutes, then the previous window when seeded.
 * A window whose last minute is entered in error (or left without a usable sample) is withdrawn:
 * status entered-in-error, and the windows after it are seeded as if it had never been.
 *
 * For an alert on the patient's habit ("heart rate above the patient's own habit for 1 h"), read
 * ewma-z-score: the EWMA smooths out single windows (a step change reaches 83 % of its size after
 * 5 windows, 97 % after 10), and the z-score puts it on the patient's own scale; e.g. ewma-z-score
 * of 2 or more in every window of an hour. A window without a z-score (thin baseline) says nothing.
 *
 * A late minute recomputes the 5 windows that contain it, and the windows after them as long as
 * their EWMA keeps changing (at 0.01 /min; the change shrinks by 0.7 per window). Runs for the same
 * patient take turns (a lock), so each sees the windows the others stored. Minute means also go into
 * the hour's summary, the baseline's material. The baseline of a window is not computed again when
 * late readings change its 7 days afterwards.
 */

export const windowCode = 'heart-rate-5min-window';
export const ewmaAlpha = 0.3;
const minuteMs = 60_000;
const hourMs = 3_600_000;
const windowMinutes = 5;
/** How many windows past the late minute's own a run may recompute while their EWMA changes. */
const maxFollowing = 60;
const statistics = 'http://terminology.hl7.org/CodeSystem/observation-statistics';

export interface WindowFigures {
  count: number;
  average: number;
  ewma: number;
  /** No previous window to seed the EWMA from: it starts from this window's average. */
  restarted: boolean;
  zScore?: number;
  ewmaZScore?: number;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * The window's figures from its usable samples, the stored EWMA of the previous window (undefined
 * after a gap) and the patient's baseline (z-scores only when usable). Average, EWMA and z-scores
 * are rounded to 0.01; undefined without samples.
 */
export function windowFigures(values: number[], previousEwma: number | undefined, baseline: Baseline | undefined): WindowFigures | undefined {
  if (!values.length) return undefined;
  const average = values.reduce((a, b) => a + b, 0) / values.length;
  const ewma = previousEwma === undefined ? average : ewmaAlpha * average + (1 - ewmaAlpha) * previousEwma;
  const figures: WindowFigures = { count: values.length, average: round2(average), ewma: round2(ewma), restarted: previousEwma === undefined };
  if (baseline?.usable && baseline.mean !== undefined && baseline.sd) {
    figures.zScore = round2((average - baseline.mean) / baseline.sd);
    figures.ewmaZScore = round2((ewma - baseline.mean) / baseline.sd);
  }
  return figures;
}

/** A packed heart-rate minute, whatever its status. */
const isPacked = (o: Observation) =>
  !!o.valueSampledData &&
  !isAggregate(o) &&
  (o.code?.coding?.some((c) => c.system === loinc && c.code === '8867-4') ?? false) &&
  (o.category?.some((c) => c.coding?.some((x) => x.code === 'vital-signs')) ?? false);
const isMinute = (o: Observation) => isPacked(o) && o.status !== 'entered-in-error';

/** The patient's packed minutes (category vital-signs) by start time, fetched range by range as the run needs them. */
class Minutes {
  private readonly byStart = new Map<number, Observation[]>();
  private lo = Infinity;
  private hi = -Infinity;

  constructor(
    private readonly ctx: BotContext,
    private readonly subject: string,
  ) {}

  /** Makes sure the minutes starting in [from, to) are at hand (fetching ahead when going forward). */
  async load(from: number, to: number): Promise<void> {
    if (this.lo === Infinity) return this.fetch(from, to);
    if (from < this.lo) await this.fetch(from, this.lo);
    if (to > this.hi) await this.fetch(this.hi, Math.max(to, this.hi + 15 * minuteMs));
  }

  between(from: number, to: number): Observation[] {
    const out: Observation[] = [];
    for (let t = from; t <= to; t += minuteMs) out.push(...(this.byStart.get(t) ?? []));
    return out;
  }

  /** The first start in [from, to] with a minute. */
  firstIn(from: number, to: number): number | undefined {
    for (let t = from; t <= to; t += minuteMs) if (this.byStart.get(t)?.length) return t;
    return undefined;
  }

  private async fetch(from: number, to: number): Promise<void> {
    const found = await this.ctx.search<Observation>('Observation', {
      subject: this.subject,
      code: `${loinc}|8867-4`,
      category: 'vital-signs',
      date: [`ge${new Date(from).toISOString()}`, `lt${new Date(to).toISOString()}`],
      _count: '1000',
    });
    const sorted = found.filter(isMinute).sort((a, b) => effectiveTime(a) - effectiveTime(b) || (a.id ?? '').localeCompare(b.id ?? ''));
    for (const o of sorted) {
      const t = effectiveTime(o);
      if (t < from || t >= to || t % minuteMs) continue;
      this.byStart.set(t, [...(this.byStart.get(t) ?? []), o]);
    }
    this.lo = Math.min(this.lo, from);
    this.hi = Math.max(this.hi, to);
  }
}

/** The stored windows whose last minute starts in [from, to], by that start. */
async function storedWindows(ctx: BotContext, subject: string, from: number, to: number): Promise<Map<number, Observation>> {
  const found = await ctx.search<Observation>('Observation', {
    subject,
    code: `${metricSystem}|${windowCode}`,
    date: [`ge${new Date(from - (windowMinutes - 1) * minuteMs).toISOString()}`, `lt${new Date(to + minuteMs).toISOString()}`],
    _count: '100',
  });
  const byLast = new Map<number, Observation>();
  for (const o of found) {
    const last = Date.parse(o.effectivePeriod?.end ?? '') - minuteMs;
    if (last >= from && last <= to) byLast.set(last, o);
  }
  return byLast;
}

const ewmaOf = (o: Observation) => o.component?.find((c) => c.code?.coding?.some((x) => x.system === metricSystem && x.code === 'ewma'))?.valueQuantity?.value;

interface Previous {
  last: number;
  ewma: number;
  id: string;
}

function windowObservation(subject: string, last: number, minutes: Observation[], f: WindowFigures, baseline: Baseline, previous: Previous | undefined): Observation {
  const perMin = (value: number) => ({ value, unit: '/min', system: ucum, code: '/min' });
  const one = (value: number) => ({ value, unit: '1', system: ucum, code: '1' });
  const local = (code: string, display: string) => ({ coding: [{ system: metricSystem, code, display }] });
  const thin = {
    coding: [{ system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: 'not-performed', display: 'Not Performed' }],
    text: `Baseline too thin: ${baseline.count} minute means on ${baseline.days} days in the 7 days before (${baselineRule.minMinutes} on ${baselineRule.minDays} days needed, with a spread above zero)`,
  };
  const component: ObservationComponent[] = [
    { code: { coding: [{ system: statistics, code: 'average', display: 'Average' }] }, valueQuantity: perMin(f.average) },
    { code: { coding: [{ system: statistics, code: 'count', display: 'Count' }] }, valueQuantity: { value: f.count, unit: 'observations', system: ucum, code: '{observations}' } },
    { code: local('ewma', `Exponentially weighted moving average of the window averages (alpha ${ewmaAlpha})`), valueQuantity: perMin(f.ewma) },
    { code: local('z-score', 'z-score of the average against the patient baseline'), ...(f.zScore !== undefined ? { valueQuantity: one(f.zScore) } : { dataAbsentReason: thin }) },
    { code: local('ewma-z-score', 'z-score of the EWMA against the patient baseline'), ...(f.ewmaZScore !== undefined ? { valueQuantity: one(f.ewmaZScore) } : { dataAbsentReason: thin }) },
    ...(baseline.usable
      ? [
          { code: local('baseline-average', 'Baseline: mean of the per-minute means'), valueQuantity: perMin(round2(baseline.mean!)) },
          { code: local('baseline-std-dev', 'Baseline: standard deviation of the per-minute means'), valueQuantity: perMin(round2(baseline.sd!)) },
        ]
      : []),
    { code: local('baseline-count', 'Baseline: number of minute means'), valueQuantity: { value: baseline.count, unit: 'observations', system: ucum, code: '{observations}' } },
  ];
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [aggregateCategory],
    code: { ...local(windowCode, 'Heart rate over a 5-minute sliding window'), text: 'Heart rate over a 5-minute sliding window' },
    subject: { reference: subject },
    effectivePeriod: { start: new Date(last - (windowMinutes - 1) * minuteMs).toISOString(), end: new Date(last + minuteMs).toISOString() },
    method: {
      text: `Mean of the usable 1 Hz samples of the 5 minutes ending with this one; z-scores against the mean and SD of the patient's per-minute means over the 7 days before, leaving out the last 1-2 hours (at least ${baselineRule.minMinutes} minute means on ${baselineRule.minDays} days); EWMA alpha ${ewmaAlpha}, seeded from the window ending 1-5 minutes before, restarted after a gap`,
    },
    component,
    ...(f.restarted ? { note: [{ text: 'EWMA restarted from this window: no window ended in the 5 minutes before' }] } : {}),
    derivedFrom: [...minutes.map((o) => ({ reference: `Observation/${o.id}` })), ...(previous ? [{ reference: `Observation/${previous.id}` }] : [])],
  };
}

/**
 * Computes the windows containing the minute that starts at `t` again, in order, each seeded from
 * the one before, then the following windows while their EWMA still changes.
 */
async function recompute(ctx: BotContext, subject: string, t: number, minutes: Minutes): Promise<void> {
  const stored = await storedWindows(ctx, subject, t - windowMinutes * minuteMs, t + (windowMinutes - 1) * minuteMs);
  let previous: Previous | undefined;
  for (const [last, o] of [...stored].sort(([a], [b]) => a - b)) {
    const ewma = ewmaOf(o);
    if (last < t && o.status === 'final' && ewma !== undefined && o.id) previous = { last, ewma, id: o.id };
  }
  const baselines = new Map<number, Baseline>();
  const mustReach = t + (windowMinutes - 1) * minuteMs;
  let cursor: number | undefined = t;
  for (let steps = 0; cursor !== undefined && steps < windowMinutes + maxFollowing; steps++) {
    const last: number = cursor;
    await minutes.load(last - (windowMinutes - 1) * minuteMs, last + (windowMinutes + 1) * minuteMs);
    const used = minutes.between(last - (windowMinutes - 1) * minuteMs, last);
    const seed = previous && last - previous.last <= windowMinutes * minuteMs ? previous : undefined;
    const end = last + minuteMs;
    const hours = baselineHours(end)[0];
    if (!baselines.has(hours)) baselines.set(hours, await loadBaseline(ctx, subject, end));
    const baseline = baselines.get(hours)!;
    const f = minutes.between(last, last).length ? windowFigures(used.flatMap(usableValues), seed?.ewma, baseline) : undefined;
    let changed = false;
    const key = `${subject}/${windowCode}/${last}`;
    if (f) {
      const inputs = used.filter((o) => usableValues(o).length);
      const written = await ctx.upsert(windowObservation(subject, last, inputs, f, baseline, seed), key);
      changed = written.changed;
      previous = { last, ewma: f.ewma, id: written.resource.id! };
    } else {
      // its last minute is gone (entered in error) or has no usable sample: a window stored before is withdrawn
      const before = stored.get(last);
      if (before && before.status !== 'entered-in-error') {
        const { id: _id, meta: _meta, ...rest } = before;
        changed = (await ctx.upsert<Observation>({ ...rest, status: 'entered-in-error' }, key)).changed;
      }
    }
    const next = minutes.firstIn(last + minuteMs, last + windowMinutes * minuteMs);
    cursor = next !== undefined && (next <= mustReach || changed) ? next : undefined;
  }
}

export const bot: Bot = {
  id: 'heart-rate-window',
  title: 'Serium heart-rate 5-minute window',
  writes: ['Observation'],
  async handle({ resource }, ctx) {
    if (resource?.resourceType !== 'Observation' || !resource.id || !isPacked(resource)) return;
    const subject = resource.subject?.reference;
    const t = effectiveTime(resource);
    if (!subject || Number.isNaN(t) || t % minuteMs) return;
    // runs for the same patient take turns: each window is seeded from what the run before stored
    await ctx.lock(`heart-rate-window/${subject}`);
    const minutes = new Minutes(ctx, subject);
    await minutes.load(t - (windowMinutes - 1) * minuteMs, t + (windowMinutes + 1) * minuteMs);
    await recompute(ctx, subject, t, minutes);
    const values = isMinute(resource) ? usableValues(resource) : [];
    const mean = values.length ? values.reduce((a, b) => a + b, 0) / values.length : undefined;
    await noteMinuteMean(ctx, subject, Math.floor(t / hourMs) * hourMs, resource.id!, mean);
  },
};
