import type { Observation } from '@medplum/fhirtypes';
import { effectiveTime, isAggregate, loinc } from '../../bots/aggregates.js';
import type { BotContext } from '../../bots/bot.js';
import { slotsOf } from '../../ingest/sampled-observation.js';
import type { Finding } from '../raise.js';
import type { Rules } from '../rules.js';
import { hasCode, iso, ref, usable } from './observations.js';

/** Seconds of usable samples below the limit in a SampledData minute (each sample lasts one period). */
export function secondsBelow(o: Observation, below: number): number {
  const period = o.valueSampledData?.period ?? 1000;
  let n = 0;
  for (const s of slotsOf(o).values()) if (s.value !== null && !s.quality.length && s.value < below) n++;
  return (n * period) / 1000;
}

/**
 * SpO2 below the limit for long enough within a window (defaults: below 90 % for 2 minutes within
 * 10 minutes), counted on the 1 Hz minutes of the window ending with the minute that arrived.
 */
export async function sustainedSpO2(ctx: BotContext, o: Observation, rules: Rules): Promise<Finding | undefined> {
  const rule = rules.get('spo2-low-sustained');
  if (!rule?.active || !o.valueSampledData || isAggregate(o) || !usable(o) || !hasCode(o, '2708-6')) return undefined;
  const subject = o.subject?.reference;
  const end = effectiveTime(o) + 60_000;
  if (!subject || Number.isNaN(end)) return undefined;
  const start = end - rule.params.withinMinutes * 60_000;
  const minutes = (await ctx.search<Observation>('Observation', { subject, code: `${loinc}|2708-6`, date: [`ge${iso(start)}`, `lt${iso(end)}`], _count: '100' })).filter(
    (m) => m.valueSampledData && usable(m) && !isAggregate(m) && effectiveTime(m) >= start && effectiveTime(m) < end,
  );
  const low = minutes.map((m) => ({ m, s: secondsBelow(m, rule.params.below) })).filter((x) => x.s > 0);
  const total = low.reduce((a, x) => a + x.s, 0);
  if (total < rule.params.minutes * 60) return undefined;
  return {
    rule,
    patient: subject,
    detail: `SpO2 below ${rule.params.below} % for ${Math.round(total)} s within ${rule.params.withinMinutes} minutes`,
    implicated: low.map((x) => ref(x.m)),
    key: o.id!,
  };
}
