import type { Observation } from '@medplum/fhirtypes';
import { metricSystem } from '../../bots/aggregates.js';
import type { BotContext } from '../../bots/bot.js';
import type { Finding } from '../raise.js';
import type { Rules } from '../rules.js';
import { iso, ref } from './observations.js';

/** The heart-rate-window bot's 5-minute windows (bots/heart-rate-window.ts). */
const windowCode = 'heart-rate-5min-window';
const minuteMs = 60_000;

const isWindow = (o: Observation) => o.code?.coding?.some((c) => c.system === metricSystem && c.code === windowCode) ?? false;
const ewmaZ = (o: Observation) => o.component?.find((c) => c.code?.coding?.some((x) => x.system === metricSystem && x.code === 'ewma-z-score'))?.valueQuantity?.value;
const endOf = (o: Observation) => Date.parse(o.effectivePeriod?.end ?? '');

/**
 * Heart rate above the patient's own habit (defaults: the EWMA z-score of the 5-minute windows at
 * 2 or more in every window ending within the last 60 minutes). The hour must be covered: at least
 * 80 % of its minutes end a window, and each of those has a z-score (a thin baseline says nothing).
 */
export async function heartRateAboveHabit(ctx: BotContext, o: Observation, rules: Rules): Promise<Finding | undefined> {
  const rule = rules.get('hr-above-habit');
  if (!rule?.active || !isWindow(o) || o.status !== 'final') return undefined;
  const subject = o.subject?.reference;
  const end = endOf(o);
  const z = ewmaZ(o);
  if (!subject || Number.isNaN(end) || z === undefined || z < rule.params.zScore) return undefined;
  const from = end - rule.params.minutes * minuteMs;
  const windows = (await ctx.search<Observation>('Observation', { subject, code: `${metricSystem}|${windowCode}`, date: `ge${iso(from - 5 * minuteMs)}`, _count: '200' })).filter(
    (w) => w.status === 'final' && endOf(w) > from && endOf(w) <= end,
  );
  if (windows.length < rule.params.minutes * 0.8) return undefined;
  if (!windows.every((w) => (ewmaZ(w) ?? -Infinity) >= rule.params.zScore)) return undefined;
  return {
    rule,
    patient: subject,
    detail: `Heart rate above the patient's habit (EWMA z-score ${rule.params.zScore} or more) for ${rule.params.minutes} minutes`,
    implicated: [],
    evidence: windows.map(ref),
    key: o.id!,
  };
}
