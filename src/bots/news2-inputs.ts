import type { Condition, Observation, QuestionnaireResponse } from '@medplum/fhirtypes';
import { usableValues } from '../ingest/sampled-observation.js';
import { aggregateCategory, effectiveTime, isAggregate, loinc } from './aggregates.js';
import type { BotContext } from './bot.js';
import { answersCheckIn, checkInAnswers } from './news2-check-in.js';
import type { Acvpu } from './news2.js';

/**
 * The inputs of one day's score, read through a bot's context: for each parameter the newest
 * usable value of the day (UTC) and the resource it came from, and the SpO2 scale of the patient.
 */

export const dayMs = 86_400_000;

/** A device parameter: the LOINC codes that carry it and how to read its value (undefined: not usable). */
interface DeviceParameter {
  codes: string[];
  value(o: Observation): number | undefined;
}

const aggregateSystem = aggregateCategory.coding[0].system;
const isCoded = (o: { code?: Observation['code'] }, code: string) => o.code?.coding?.some((c) => c.system === loinc && c.code === code) ?? false;

/** A quantity in the given UCUM unit, or the mean of a sampled window's usable samples in it. */
function valueIn(o: Observation, unit: string): number | undefined {
  if (o.valueQuantity) return o.valueQuantity.code === unit && typeof o.valueQuantity.value === 'number' ? o.valueQuantity.value : undefined;
  if (o.valueSampledData?.origin?.code !== unit) return undefined;
  const values = usableValues(o);
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : undefined;
}

function systolic(o: Observation): number | undefined {
  if (!isCoded(o, '85354-9')) return valueIn(o, 'mm[Hg]');
  const part = o.component?.find((c) => isCoded(c, '8480-6'));
  return part?.valueQuantity?.code === 'mm[Hg]' && typeof part.valueQuantity.value === 'number' ? part.valueQuantity.value : undefined;
}

function celsius(o: Observation): number | undefined {
  const q = o.valueQuantity;
  if (typeof q?.value !== 'number') return undefined;
  if (q.code === 'Cel') return q.value;
  if (q.code === '[degF]') return ((q.value - 32) * 5) / 9;
  return undefined;
}

export const deviceParameters = {
  respirationRate: { codes: ['9279-1'], value: (o) => valueIn(o, '/min') },
  spo2: { codes: ['2708-6', '59408-5'], value: (o) => valueIn(o, '%') },
  systolic: { codes: ['85354-9', '8480-6'], value: systolic },
  pulse: { codes: ['8867-4'], value: (o) => valueIn(o, '/min') },
  temperature: { codes: ['8310-5'], value: celsius },
} satisfies Record<string, DeviceParameter>;

export type DeviceParameterName = keyof typeof deviceParameters;

/** Every LOINC code a score input may carry. */
export const inputCodes = Object.values(deviceParameters).flatMap((p) => p.codes);

/** Whether an Observation carries one of the score's parameters (whatever its status). */
export const isScoreInput = (o: Observation): boolean => !isAggregate(o) && inputCodes.some((code) => isCoded(o, code));

/**
 * SpO2 scale 2 applies when the patient has an active Condition coded as hypercapnic respiratory
 * failure: SNOMED CT 426896000 (chronic hypercapnic respiratory failure) or an ICD-10-CM
 * "respiratory failure with hypercapnia" code (acute, chronic, acute and chronic, unspecified).
 */
export const hypercapnicFailureCodes = [
  { system: 'http://snomed.info/sct', code: '426896000' },
  ...['J96.02', 'J96.12', 'J96.22', 'J96.92'].map((code) => ({ system: 'http://hl7.org/fhir/sid/icd-10-cm', code })),
];

export interface Input<T> {
  value: T;
  from: Observation | QuestionnaireResponse;
}

export interface DayInputs {
  device: Partial<Record<DeviceParameterName, Input<number>>>;
  consciousness?: Input<Acvpu>;
  oxygen?: Input<boolean>;
  /** The active Condition that puts the patient on SpO2 scale 2, if any. */
  scale2?: Condition;
}

const live = (status: string | undefined) => status !== 'entered-in-error' && status !== 'cancelled';
const day = (start: number) => [`ge${new Date(start).toISOString()}`, `lt${new Date(start + dayMs).toISOString()}`];

/** The newest usable reading of the parameter taken on the day (the newest 50 are looked at). */
async function newestReading(ctx: BotContext, subject: string, start: number, p: DeviceParameter): Promise<Input<number> | undefined> {
  const found = await ctx.search<Observation>('Observation', {
    subject,
    code: p.codes.map((c) => `${loinc}|${c}`).join(','),
    'category:not': `${aggregateSystem}|aggregate`,
    date: day(start),
    _sort: '-date',
    _count: '50',
  });
  const candidates = found
    .filter((o) => live(o.status) && !isAggregate(o) && effectiveTime(o) >= start && effectiveTime(o) < start + dayMs)
    .sort((a, b) => effectiveTime(b) - effectiveTime(a));
  for (const o of candidates) {
    const value = p.value(o);
    if (value !== undefined) return { value, from: o };
  }
  return undefined;
}

/** For each check-in question, the newest completed (or amended) answer authored on the day. */
async function newestAnswers(ctx: BotContext, subject: string, start: number): Promise<Pick<DayInputs, 'consciousness' | 'oxygen'>> {
  const found = await ctx.search<QuestionnaireResponse>('QuestionnaireResponse', { subject, authored: day(start), _sort: '-authored', _count: '50' });
  const responses = found
    .filter((qr) => answersCheckIn(qr) && (qr.status === 'completed' || qr.status === 'amended'))
    .sort((a, b) => Date.parse(b.authored ?? '') - Date.parse(a.authored ?? ''));
  const out: Pick<DayInputs, 'consciousness' | 'oxygen'> = {};
  for (const qr of responses) {
    const answers = checkInAnswers(qr);
    if (!out.consciousness && answers.consciousness) out.consciousness = { value: answers.consciousness, from: qr };
    if (!out.oxygen && answers.oxygen !== undefined) out.oxygen = { value: answers.oxygen, from: qr };
  }
  return out;
}

async function scale2Condition(ctx: BotContext, subject: string): Promise<Condition | undefined> {
  const found = await ctx.search<Condition>('Condition', {
    subject,
    code: hypercapnicFailureCodes.map((c) => `${c.system}|${c.code}`).join(','),
  });
  const active = (c: Condition) => c.clinicalStatus?.coding?.some((x) => ['active', 'recurrence', 'relapse'].includes(x.code ?? '')) ?? false;
  const refuted = (c: Condition) => c.verificationStatus?.coding?.some((x) => ['refuted', 'entered-in-error'].includes(x.code ?? '')) ?? false;
  return found.find((c) => active(c) && !refuted(c));
}

/** The inputs of the patient's score for the UTC day starting at `start` (ms since epoch). */
export async function dayInputs(ctx: BotContext, subject: string, start: number): Promise<DayInputs> {
  const device: DayInputs['device'] = {};
  for (const [name, p] of Object.entries(deviceParameters) as [DeviceParameterName, DeviceParameter][]) {
    const reading = await newestReading(ctx, subject, start, p);
    if (reading) device[name] = reading;
  }
  const scale2 = await scale2Condition(ctx, subject);
  return { device, ...(await newestAnswers(ctx, subject, start)), ...(scale2 ? { scale2 } : {}) };
}
