import type { Observation, ObservationComponent } from '@medplum/fhirtypes';
import { aggregateCategory, effectiveTime as timeOf, loinc, ucum } from '../src/bots/aggregates.js';
import type { Bot } from '../src/bots/bot.js';

/**
 * Blood-pressure series: a cuff takes 2 or 3 readings a minute or so apart. When a reading
 * arrives with others of the same patient in the 10 minutes before it, the series (from its first
 * reading) gets a derived panel: mean systolic, mean diastolic and MAP = DBP + (SBP − DBP) / 3 of
 * the means, over an effectivePeriod spanning the readings, derivedFrom them, method "mean of n".
 * A third reading updates the same panel.
 */

const seriesWindowMs = 10 * 60_000;

const isPanel = (o: Observation) => o.code?.coding?.some((c) => c.system === loinc && c.code === '85354-9') ?? false;
const part = (o: Observation, code: string) => o.component?.find((c) => c.code?.coding?.some((x) => x.code === code))?.valueQuantity?.value;

/** Mean SBP, mean DBP and MAP of the readings, rounded to 0.1 mm[Hg]. */
export function seriesFigures(readings: { sbp: number; dbp: number }[]): { sbp: number; dbp: number; map: number } {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const sbp = mean(readings.map((r) => r.sbp));
  const dbp = mean(readings.map((r) => r.dbp));
  const round = (x: number) => Math.round(x * 10) / 10;
  return { sbp: round(sbp), dbp: round(dbp), map: round(dbp + (sbp - dbp) / 3) };
}

export const bot: Bot = {
  id: 'blood-pressure-series',
  title: 'Serium blood-pressure series',
  writes: ['Observation'],
  async handle({ resource }, ctx) {
    if (resource?.resourceType !== 'Observation' || !resource.id || !isPanel(resource) || resource.derivedFrom?.length) return;
    const at = timeOf(resource);
    const subject = resource.subject?.reference;
    if (!subject || Number.isNaN(at)) return;
    const near = await ctx.search<Observation>('Observation', {
      subject,
      code: `${loinc}|85354-9`,
      date: `ge${new Date(at - seriesWindowMs).toISOString()}`,
      _sort: 'date',
    });
    const readings = near.filter((o) => !o.derivedFrom?.length && o.status !== 'entered-in-error' && timeOf(o) <= at && part(o, '8480-6') !== undefined && part(o, '8462-4') !== undefined);
    if (readings.length < 2) return;
    const figures = seriesFigures(readings.map((o) => ({ sbp: part(o, '8480-6')!, dbp: part(o, '8462-4')! })));
    const mmHg = (value: number) => ({ value, unit: 'mmHg', system: ucum, code: 'mm[Hg]' });
    const component: ObservationComponent[] = [
      { code: { coding: [{ system: loinc, code: '8480-6', display: 'Systolic blood pressure' }] }, valueQuantity: mmHg(figures.sbp) },
      { code: { coding: [{ system: loinc, code: '8462-4', display: 'Diastolic blood pressure' }] }, valueQuantity: mmHg(figures.dbp) },
      { code: { coding: [{ system: loinc, code: '8478-0', display: 'Mean blood pressure' }] }, valueQuantity: mmHg(figures.map) },
    ];
    const first = readings[0];
    const series: Observation = {
      resourceType: 'Observation',
      status: 'final',
      category: [aggregateCategory],
      code: { coding: [{ system: loinc, code: '85354-9', display: 'Blood pressure panel with all children optional' }] },
      subject: { reference: subject },
      effectivePeriod: { start: new Date(timeOf(first)).toISOString(), end: new Date(at).toISOString() },
      method: { text: `mean of ${readings.length}` },
      derivedFrom: readings.map((o) => ({ reference: `Observation/${o.id}` })),
      component,
    };
    await ctx.upsert(series, `series/${first.id}`);
  },
};
