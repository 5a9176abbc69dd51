import type { Observation } from '@medplum/fhirtypes';
import { effectiveTime, isAggregate, loinc } from '../../bots/aggregates.js';
import type { BotContext } from '../../bots/bot.js';
import type { Finding } from '../raise.js';
import type { Rules } from '../rules.js';
import { bloodPressurePanel, componentValue, hasCode, iso, ref } from './observations.js';

/** A series panel of the blood-pressure-series bot (other aggregates of the code, if any, are not series). */
const isSeries = (o: Observation) => isAggregate(o) && hasCode(o, bloodPressurePanel) && o.meta?.source === 'urn:serium:bot:blood-pressure-series';

/**
 * High systolic on repeated series (defaults: the mean systolic of 2 blood-pressure series within
 * 72 hours at 160 mm[Hg] or more), on the series panels the blood-pressure-series bot derives.
 */
export async function repeatedSystolic(ctx: BotContext, o: Observation, rules: Rules): Promise<Finding | undefined> {
  const rule = rules.get('systolic-high-repeated');
  if (!rule?.active || !isSeries(o)) return undefined;
  const subject = o.subject?.reference;
  const at = Date.parse(o.effectivePeriod?.end ?? o.effectiveDateTime ?? '');
  if (!subject || Number.isNaN(at) || (componentValue(o, '8480-6') ?? 0) < rule.params.systolic) return undefined;
  const from = at - rule.params.withinHours * 3600_000;
  const series = (await ctx.search<Observation>('Observation', { subject, code: `${loinc}|${bloodPressurePanel}`, date: `ge${iso(from)}`, _count: '100' })).filter(
    (s) => isSeries(s) && effectiveTime(s) >= from && effectiveTime(s) <= at && (componentValue(s, '8480-6') ?? 0) >= rule.params.systolic,
  );
  // two panels of one series (its 2nd and 3rd reading) are one series: the panel is upserted, so ids differ per series
  if (series.length < rule.params.series) return undefined;
  return {
    rule,
    patient: subject,
    detail: `Mean systolic ${series.map((s) => componentValue(s, '8480-6')).join(', ')} mm[Hg] on ${series.length} series within ${rule.params.withinHours} h (${rule.params.systolic} or more)`,
    implicated: series.flatMap((s) => (s.derivedFrom ?? []).flatMap((d) => (d.reference ? [{ reference: d.reference }] : []))),
    evidence: series.map(ref),
    key: o.id!,
  };
}
