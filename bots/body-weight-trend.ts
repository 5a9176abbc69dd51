import type { Observation } from '@medplum/fhirtypes';
import { effectiveTime as timeOf, loinc, metricObservation } from '../src/bots/aggregates.js';
import type { Bot, BotContext } from '../src/bots/bot.js';

/**
 * Weight trend: for each weight reading, the mean of the patient's weights over the 3 days up to
 * it (smoothing), the change over the 7 days up to it (latest against earliest, in percent), and
 * the BMI from the latest height. Each is an Observation derived from the readings it uses.
 */

const day = 86_400_000;
const kg = (o: Observation) => (o.valueQuantity?.code === 'kg' ? o.valueQuantity.value : undefined);

/** Mean of the weights (kg, 0.01), percent change from the first to the last (0.1), BMI from kg and cm (0.1). */
export const trend = {
  mean: (xs: number[]) => Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 100) / 100,
  change: (first: number, last: number) => Math.round(((last - first) / first) * 1000) / 10,
  bmi: (weightKg: number, heightCm: number) => Math.round((weightKg / (heightCm / 100) ** 2) * 10) / 10,
};

async function weightsBetween(ctx: BotContext, subject: string, from: number, to: number): Promise<Observation[]> {
  const found = await ctx.search<Observation>('Observation', {
    subject,
    code: `${loinc}|29463-7`,
    date: [`ge${new Date(from).toISOString()}`, `le${new Date(to).toISOString()}`],
    _sort: 'date',
  });
  return found.filter((o) => !o.derivedFrom?.length && kg(o) !== undefined && o.status !== 'entered-in-error' && timeOf(o) >= from && timeOf(o) <= to);
}

export const bot: Bot = {
  id: 'body-weight-trend',
  title: 'Serium weight trend',
  writes: ['Observation'],
  async handle({ resource }, ctx) {
    if (resource?.resourceType !== 'Observation' || !resource.id || resource.derivedFrom?.length) return;
    if (!resource.code?.coding?.some((c) => c.system === loinc && c.code === '29463-7') || kg(resource) === undefined) return;
    const subject = resource.subject?.reference;
    const at = timeOf(resource);
    if (!subject || Number.isNaN(at)) return;
    const when = resource.effectiveDateTime ?? resource.effectivePeriod?.start;
    const derived = (code: string, display: string, value: number, unit: string, from: Observation[], period?: [number, number]): Observation =>
      metricObservation({ code, display, subject, value, unit, from, ...(period ? { period } : { at: when }) });

    const three = await weightsBetween(ctx, subject, at - 3 * day, at);
    if (three.length) {
      await ctx.upsert(derived('weight-3-day-mean', 'Mean body weight over 3 days', trend.mean(three.map((o) => kg(o)!)), 'kg', three, [at - 3 * day, at]), `${resource.id}/3-day-mean`);
    }
    const week = await weightsBetween(ctx, subject, at - 7 * day, at);
    if (week.length >= 2) {
      const change = trend.change(kg(week[0])!, kg(week[week.length - 1])!);
      await ctx.upsert(derived('weight-7-day-change', 'Body weight change over 7 days', change, '%', [week[0], week[week.length - 1]], [at - 7 * day, at]), `${resource.id}/7-day-change`);
    }
    const [height] = await ctx.search<Observation>('Observation', { subject, code: `${loinc}|8302-2`, _sort: '-date', _count: '1' });
    if (height?.valueQuantity?.code === 'cm' && height.valueQuantity.value) {
      const bmi: Observation = {
        ...derived('bmi', 'Body mass index', trend.bmi(kg(resource)!, height.valueQuantity.value), 'kg/m2', [resource, height]),
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
        code: { coding: [{ system: loinc, code: '39156-5', display: 'Body mass index (BMI) [Ratio]' }] },
      };
      await ctx.upsert(bmi, `${resource.id}/bmi`);
    }
  },
};
