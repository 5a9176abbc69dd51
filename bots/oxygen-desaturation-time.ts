import type { Observation } from '@medplum/fhirtypes';
import { loinc, metricObservation } from '../src/bots/aggregates.js';
import type { Bot, BotContext } from '../src/bots/bot.js';
import { usableValues } from '../src/ingest/sampled-observation.js';

/**
 * Time with SpO2 below 90 %: for each packed minute of 1 Hz SpO2, the share of usable samples
 * below 90 % over the 5-minute window and over the hour that contain it, each stored as one
 * aggregate Observation (local code, unit %), derived from the minutes it covers and computed
 * again as further minutes of the window arrive.
 */

const windows = [
  { ms: 5 * 60_000, code: 'spo2-below-90-time-5min', display: 'Share of time with SpO2 below 90 % over 5 minutes' },
  { ms: 3600_000, code: 'spo2-below-90-time-1h', display: 'Share of time with SpO2 below 90 % over 1 hour' },
];

const isSpO2 = (o: Observation) => o.code?.coding?.some((c) => c.system === loinc && c.code === '2708-6') ?? false;

/** The share of values below 90, in percent rounded to 0.1; undefined without values. */
export function shareBelow90(values: number[]): number | undefined {
  if (!values.length) return undefined;
  return Math.round((values.filter((v) => v < 90).length / values.length) * 1000) / 10;
}

async function window(ctx: BotContext, subject: string, start: number, w: (typeof windows)[number]): Promise<void> {
  const end = start + w.ms;
  const minutes = (
    await ctx.search<Observation>('Observation', {
      subject,
      code: `${loinc}|2708-6`,
      date: [`ge${new Date(start).toISOString()}`, `lt${new Date(end).toISOString()}`],
      _count: '100',
    })
  ).filter((o) => o.valueSampledData && Date.parse(o.effectivePeriod?.start ?? '') < end && Date.parse(o.effectivePeriod?.start ?? '') >= start);
  const share = shareBelow90(minutes.flatMap(usableValues));
  if (share === undefined) return;
  const aggregate = metricObservation({
    code: w.code,
    display: w.display,
    subject,
    period: [start, end],
    value: share,
    unit: '%',
    from: minutes,
    method: `share of the usable 1 Hz samples below 90 % in the window (quality-flagged samples left out), from ${minutes.length} minutes`,
  });
  await ctx.upsert(aggregate, `${subject}/${w.code}/${start}`);
}

export const bot: Bot = {
  id: 'oxygen-desaturation-time',
  title: 'Serium time with low SpO2',
  writes: ['Observation'],
  async handle({ resource }, ctx) {
    if (resource?.resourceType !== 'Observation' || !resource.valueSampledData || !isSpO2(resource)) return;
    const subject = resource.subject?.reference;
    const at = Date.parse(resource.effectivePeriod?.start ?? '');
    if (!subject || Number.isNaN(at)) return;
    // minutes of one window arrive together: their runs take turns instead of meeting as conflicts
    await ctx.lock(`oxygen-desaturation-time/${subject}`);
    for (const w of windows) await window(ctx, subject, Math.floor(at / w.ms) * w.ms, w);
  },
};
