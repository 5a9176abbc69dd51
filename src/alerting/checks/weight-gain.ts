import type { Observation } from '@medplum/fhirtypes';
import { effectiveTime, isAggregate, loinc } from '../../bots/aggregates.js';
import type { BotContext } from '../../bots/bot.js';
import type { Finding } from '../raise.js';
import type { Rules } from '../rules.js';
import { bodyWeight, hasCode, iso, ref, usable } from './observations.js';

const kg = (o: Observation) => (o.valueQuantity?.code === 'kg' ? o.valueQuantity.value : undefined);

/** Weight gain (defaults: 2 kg or more in 3 days): the new weight against the lowest of the days before it. */
export async function weightGain(ctx: BotContext, o: Observation, rules: Rules): Promise<Finding | undefined> {
  const rule = rules.get('weight-gain');
  const now = kg(o);
  if (!rule?.active || now === undefined || isAggregate(o) || !usable(o) || !hasCode(o, bodyWeight)) return undefined;
  const subject = o.subject?.reference;
  const at = effectiveTime(o);
  if (!subject || Number.isNaN(at)) return undefined;
  const from = at - rule.params.days * 86_400_000;
  const before = (await ctx.search<Observation>('Observation', { subject, code: `${loinc}|${bodyWeight}`, date: [`ge${iso(from)}`, `lt${iso(at)}`], _count: '100' })).filter(
    (w) => kg(w) !== undefined && usable(w) && !isAggregate(w) && effectiveTime(w) >= from && effectiveTime(w) < at,
  );
  if (!before.length) return undefined;
  const lowest = before.reduce((a, b) => (kg(b)! < kg(a)! ? b : a));
  const gain = Math.round((now - kg(lowest)!) * 100) / 100;
  if (gain < rule.params.kg) return undefined;
  return {
    rule,
    patient: subject,
    detail: `Weight ${now} kg, up ${gain} kg from ${kg(lowest)} kg within ${rule.params.days} days`,
    implicated: [ref(o), ref(lowest)],
    key: o.id!,
  };
}
