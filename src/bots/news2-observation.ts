import type { Extension, Observation, ObservationComponent, QuestionnaireResponse, Reference } from '@medplum/fhirtypes';
import { metricSystem, ucum } from './aggregates.js';
import { acvpuCodings } from './news2-check-in.js';
import type { DayInputs, Input } from './news2-inputs.js';
import { news2, type News2Parameter, type News2Risk } from './news2.js';

/**
 * The Serium score of a day as an Observation: local code serium-score, valueInteger the total,
 * one component per NEWS2 parameter with its sub-score (or a dataAbsentReason when the day has no
 * value for it), the risk band as interpretation, derivedFrom the readings and check-in answers
 * used. A score missing any parameter is preliminary, and says which are missing.
 */

export const scoreCode = 'serium-score';
export const riskSystem = 'https://serium.dev/fhir/CodeSystem/serium-score-risk';
/** On each component: the value the sub-score was given for (a Quantity, an ACVPU coding, or oxygen use). */
export const scoreInputUrl = 'https://serium.dev/fhir/StructureDefinition/serium-score-input';
const dataAbsentReason = 'http://terminology.hl7.org/CodeSystem/data-absent-reason';
/**
 * An assessment score, like Apgar: the HL7 survey category rather than Serium's aggregate one (no
 * statistic of one metric); derivedFrom still marks it as computed, so it is never an input.
 */
const surveyCategory = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'survey', display: 'Survey' }] };

const riskDisplay: Record<News2Risk, string> = {
  low: 'Low risk',
  'low-medium': 'Low–medium risk (a single parameter scores 3)',
  medium: 'Medium risk',
  high: 'High risk',
};

/** Component codes, names for people, and the unit the input is shown in. */
const parameters: Record<News2Parameter, { code: string; display: string; unit?: string; source: string }> = {
  respirationRate: { code: 'serium-score-respiration-rate', display: 'Respiration rate sub-score', unit: '/min', source: 'reading' },
  spo2: { code: 'serium-score-spo2-scale-1', display: 'SpO2 scale 1 sub-score', unit: '%', source: 'reading' },
  oxygen: { code: 'serium-score-oxygen', display: 'Air or oxygen sub-score', source: 'daily check-in answer' },
  systolic: { code: 'serium-score-systolic', display: 'Systolic blood pressure sub-score', unit: 'mm[Hg]', source: 'reading' },
  pulse: { code: 'serium-score-pulse', display: 'Pulse sub-score', unit: '/min', source: 'reading' },
  consciousness: { code: 'serium-score-consciousness', display: 'Consciousness (ACVPU) sub-score', source: 'daily check-in answer' },
  temperature: { code: 'serium-score-temperature', display: 'Temperature sub-score', unit: 'Cel', source: 'reading' },
};
const spo2Scale2 = { code: 'serium-score-spo2-scale-2', display: 'SpO2 scale 2 sub-score' };

const names: Record<News2Parameter, string> = {
  respirationRate: 'respiration rate',
  spo2: 'SpO2',
  oxygen: 'air or oxygen',
  systolic: 'systolic blood pressure',
  pulse: 'pulse',
  consciousness: 'consciousness',
  temperature: 'temperature',
};

export const decisionSupportNote =
  'Decision support only: NEWS2 was developed and validated for adults in hospital, not for readings taken at home. It does not replace clinical judgement.';

function inputExtension(name: News2Parameter, inputs: DayInputs): Extension | undefined {
  if (name === 'consciousness') return inputs.consciousness && { url: scoreInputUrl, valueCoding: acvpuCodings[inputs.consciousness.value] };
  if (name === 'oxygen') return inputs.oxygen && { url: scoreInputUrl, valueBoolean: inputs.oxygen.value };
  const reading = inputs.device[name];
  const unit = parameters[name].unit!;
  return reading && { url: scoreInputUrl, valueQuantity: { value: Math.round(reading.value * 10) / 10, unit, system: ucum, code: unit } };
}

/** The score's Observation, or undefined when the day has nothing to score. */
export function scoreObservation(subject: string, start: number, end: number, inputs: DayInputs): Observation | undefined {
  const scale = inputs.scale2 ? 2 : 1;
  const device = inputs.device;
  const result = news2({
    respirationRate: device.respirationRate?.value,
    spo2: device.spo2?.value,
    scale,
    oxygen: inputs.oxygen?.value,
    systolic: device.systolic?.value,
    pulse: device.pulse?.value,
    consciousness: inputs.consciousness?.value,
    temperature: device.temperature?.value,
  });
  if (result.missing.length === Object.keys(parameters).length) return undefined;

  const component: ObservationComponent[] = (Object.keys(parameters) as News2Parameter[]).map((name) => {
    const p = name === 'spo2' && scale === 2 ? { ...parameters.spo2, ...spo2Scale2 } : parameters[name];
    const code = { coding: [{ system: metricSystem, code: p.code, display: p.display }], text: p.display };
    const score = result.scores[name];
    if (score === undefined) {
      return { code, dataAbsentReason: { coding: [{ system: dataAbsentReason, code: 'not-performed', display: 'Not Performed' }], text: `No ${parameters[name].source} on the day` } };
    }
    const ext = inputExtension(name, inputs);
    return { ...(ext ? { extension: [ext] } : {}), code, valueInteger: score };
  });

  const used: (Input<unknown> | undefined)[] = [device.respirationRate, device.spo2, inputs.oxygen, device.systolic, device.pulse, inputs.consciousness, device.temperature];
  const derivedFrom: Reference<Observation | QuestionnaireResponse>[] = [];
  for (const input of used) {
    const reference = input && `${input.from.resourceType}/${input.from.id}`;
    if (reference && !derivedFrom.some((r) => r.reference === reference)) derivedFrom.push({ reference });
  }

  const method =
    'NEWS2 (Royal College of Physicians, 2017) on the newest value of each parameter on the UTC day: readings taken that day (a 1 Hz minute counts as the mean of its usable samples) ' +
    `and the answers of the daily check-in authored that day. SpO2 scale ${scale}` +
    (inputs.scale2 ? ` (hypercapnic respiratory failure, Condition/${inputs.scale2.id}).` : '.');
  const partial = result.missing.length
    ? [{ text: `Partial score: nothing on the day for ${result.missing.map((m) => names[m]).join(', ')}; the total counts only the parameters present.` }]
    : [];

  return {
    resourceType: 'Observation',
    status: result.missing.length ? 'preliminary' : 'final',
    category: [surveyCategory],
    code: { coding: [{ system: metricSystem, code: scoreCode, display: 'Serium score (NEWS2-based)' }], text: 'Serium score (NEWS2-based)' },
    subject: { reference: subject },
    effectivePeriod: { start: new Date(start).toISOString(), end: new Date(end).toISOString() },
    valueInteger: result.total,
    interpretation: [{ coding: [{ system: riskSystem, code: result.risk, display: riskDisplay[result.risk] }], text: riskDisplay[result.risk] }],
    note: [{ text: decisionSupportNote }, ...partial],
    method: { text: method },
    derivedFrom,
    component,
  };
}
