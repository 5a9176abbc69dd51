import type { Observation } from '@medplum/fhirtypes';
import { loinc, metricObservation } from '../src/bots/aggregates.js';
import type { Bot, BotContext } from '../src/bots/bot.js';

/**
 * Glucose of the day (UTC): for each meter reading, the share of the day's readings in range
 * (70–180 mg/dL inclusive, a fingerstick figure, hence a local code rather than the CGM one), and
 * the mean of the day's readings before meals (88365-2) and after meals (87422-2). Each is one
 * Observation per day, computed again as readings arrive.
 */

const day = 86_400_000;
const glucoseCodes = ['41653-7', '88365-2', '87422-2'];
const mgdl = (o: Observation) => (o.valueQuantity?.code === 'mg/dL' ? o.valueQuantity.value : undefined);
const codeOf = (o: Observation) => o.code?.coding?.find((c) => c.system === loinc && glucoseCodes.includes(c.code ?? ''))?.code;

/** Share in 70–180 mg/dL in percent (0.1), and a mean (0.1). */
export const glucose = {
  inRange: (xs: number[]) => Math.round((xs.filter((v) => v >= 70 && v <= 180).length / xs.length) * 1000) / 10,
  mean: (xs: number[]) => Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10,
};

async function upsertDaily(ctx: BotContext, subject: string, start: number, code: string, display: string, value: number, unit: string, from: Observation[]): Promise<void> {
  await ctx.upsert(
    metricObservation({ code, display, subject, period: [start, start + day], value, unit, from }),
    `${subject}/${code}/${start}`,
  );
}

export const bot: Bot = {
  id: 'glucose-daily',
  title: 'Serium glucose of the day',
  writes: ['Observation'],
  async handle({ resource }, ctx) {
    if (resource?.resourceType !== 'Observation' || resource.derivedFrom?.length || !codeOf(resource) || mgdl(resource) === undefined) return;
    const subject = resource.subject?.reference;
    const at = Date.parse(resource.effectiveDateTime ?? '');
    if (!subject || Number.isNaN(at)) return;
    const start = Math.floor(at / day) * day;
    const readings = (
      await ctx.search<Observation>('Observation', {
        subject,
        code: glucoseCodes.map((c) => `${loinc}|${c}`).join(','),
        date: [`ge${new Date(start).toISOString()}`, `lt${new Date(start + day).toISOString()}`],
      })
    ).filter((o) => !o.derivedFrom?.length && mgdl(o) !== undefined && o.status !== 'entered-in-error');
    if (!readings.length) return;
    await upsertDaily(ctx, subject, start, 'glucose-time-in-range', 'Share of glucose readings in 70–180 mg/dL over the day', glucose.inRange(readings.map((o) => mgdl(o)!)), '%', readings);
    for (const [code, name, key] of [
      ['88365-2', 'before meals', 'glucose-pre-meal-mean'],
      ['87422-2', 'after meals', 'glucose-post-meal-mean'],
    ] as const) {
      const some = readings.filter((o) => codeOf(o) === code);
      if (some.length) await upsertDaily(ctx, subject, start, key, `Mean glucose ${name} over the day`, glucose.mean(some.map((o) => mgdl(o)!)), 'mg/dL', some);
    }
  },
};
