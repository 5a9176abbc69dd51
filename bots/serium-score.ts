import type { Observation, Resource } from '@medplum/fhirtypes';
import { effectiveTime, metricSystem } from '../src/bots/aggregates.js';
import { BotBusy, type Bot, type BotContext } from '../src/bots/bot.js';
import { answersCheckIn } from '../src/bots/news2-check-in.js';
import { dayInputs, dayMs, isScoreInput } from '../src/bots/news2-inputs.js';
import { decisionSupportNote, scoreCode, scoreObservation } from '../src/bots/news2-observation.js';

/**
 * The daily Serium score, NEWS2-based: one Observation per patient and UTC day, computed again
 * whenever a reading of one of its parameters (respiration rate, SpO2, blood pressure, pulse,
 * temperature) or an answer to the daily check-in arrives for that day; packed 1 Hz minutes refresh
 * it once an hour (the minute starting at :59), so a day of streams costs 24 runs, not 1,440. Each parameter takes its
 * newest value of the day; consciousness and oxygen use come from the check-in. SpO2 scale 2 is
 * used for a patient with an active Condition of hypercapnic respiratory failure; such a Condition
 * recorded or changed computes the patient's latest daily score again. A day missing
 * some parameters gets a preliminary score saying which; a day with nothing to score gets none
 * (and a score made before, whose inputs were all since entered in error, is cancelled).
 */

/** The patient and the time of the event's input, when the resource is one. */
function trigger(resource: Resource | undefined): { subject: string; at: number } | undefined {
  // a 1 Hz minute refreshes the score once an hour (its minute 59), not 1,440 times a day
  if (resource?.resourceType === 'Observation' && resource.valueSampledData && new Date(effectiveTime(resource)).getUTCMinutes() !== 59) return undefined;
  if (resource?.resourceType === 'Observation' && isScoreInput(resource)) {
    const subject = resource.subject?.reference;
    return subject?.startsWith('Patient/') ? { subject, at: effectiveTime(resource) } : undefined;
  }
  if (resource?.resourceType === 'QuestionnaireResponse' && answersCheckIn(resource)) {
    const subject = resource.subject?.reference;
    return subject?.startsWith('Patient/') ? { subject, at: Date.parse(resource.authored ?? '') } : undefined;
  }
  return undefined;
}

/**
 * The start of the patient's latest scored day, when a Condition that decides the SpO2 scale was
 * recorded or changed: that score is computed again with the patient's conditions as they are now.
 */
async function latestScoredDay(ctx: BotContext, resource: Resource | undefined): Promise<{ subject: string; at: number } | undefined> {
  if (resource?.resourceType !== 'Condition') return undefined;
  const subject = resource.subject?.reference;
  if (!subject?.startsWith('Patient/')) return undefined;
  const [latest] = await ctx.search<Observation>('Observation', { subject, code: `${metricSystem}|${scoreCode}`, _sort: '-date', _count: '1' });
  const start = latest?.effectivePeriod?.start;
  return start ? { subject, at: Date.parse(start) } : undefined;
}

/** What a score made before is replaced with when its day has nothing left to score. */
async function cancelEarlier(ctx: BotContext, subject: string, start: number, key: string): Promise<void> {
  const from = new Date(start).toISOString();
  const earlier = await ctx.search<Observation>('Observation', {
    subject,
    code: `${metricSystem}|${scoreCode}`,
    date: [`ge${from}`, `lt${new Date(start + dayMs).toISOString()}`],
  });
  const score = earlier.find((o) => o.effectivePeriod?.start === from && o.status !== 'cancelled');
  if (!score) return;
  const { id: _id, meta: _meta, valueInteger: _v, component: _c, interpretation: _i, derivedFrom: _d, ...rest } = score;
  await ctx.upsert<Observation>(
    {
      ...rest,
      status: 'cancelled',
      dataAbsentReason: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: 'not-performed' }], text: 'No reading or check-in answer left on the day' },
      note: [{ text: decisionSupportNote }, { text: 'Cancelled: every input of the day was entered in error or withdrawn.' }],
    },
    key,
  );
}

export const bot: Bot = {
  id: 'serium-score',
  title: 'Serium score (NEWS2-based)',
  writes: ['Observation'],
  async handle({ resource }, ctx) {
    const t = trigger(resource) ?? (await latestScoredDay(ctx, resource));
    if (!t || Number.isNaN(t.at)) return;
    const start = Math.floor(t.at / dayMs) * dayMs;
    const key = `${t.subject}/${new Date(start).toISOString().slice(0, 10)}`;
    // runs for the same patient and day take turns, so the last to write has seen every input; a
    // run that finds another under way comes back shortly instead of queueing into its time limit
    if (!(await ctx.tryLock(`serium-score/${key}`))) throw new BotBusy(`the score of ${key}`);
    const score = scoreObservation(t.subject, start, start + dayMs, await dayInputs(ctx, t.subject, start));
    if (score) await ctx.upsert(score, key);
    else await cancelEarlier(ctx, t.subject, start, key);
  },
};
