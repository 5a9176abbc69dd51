import type { Extension, Identifier, Observation } from '@medplum/fhirtypes';
import type { MetricInfo } from './reading.js';
import type { Packing } from './windows.js';

export const sampleQualityUrl = 'https://serium.dev/fhir/StructureDefinition/sample-quality';
export const tzOffsetUrl = 'http://hl7.org/fhir/StructureDefinition/tz-offset';
export const gatewayDeviceUrl = 'http://hl7.org/fhir/StructureDefinition/observation-gatewayDevice';
const ucum = 'http://unitsofmeasure.org';
const vitalSignsProfile = 'http://hl7.org/fhir/StructureDefinition/vitalsigns';

/** A window's samples by slot: the value (null: the device sent none) and its quality flags. */
export type Slots = Map<number, { value: number | null; quality: string[] }>;

export interface SampledWindow {
  info: MetricInfo;
  packing: Packing;
  /** ms since epoch. */
  windowStart: number;
  slots: Slots;
  identifier: Identifier;
  patientId: string;
  deviceId: string;
  gatewayId?: string;
  sourceOffset: string;
}

/**
 * One window of a high-rate stream as an Observation with valueSampledData (PHD IG
 * PhdRtsaObservation): period in ms, origin 0 in the canonical unit, one value per slot and "E"
 * where no usable value arrived. Quality flags go in a sample-quality extension per flag, naming
 * the slots, so aggregates can leave those samples out.
 */
export function sampledObservation(w: SampledWindow): Observation {
  const n = Math.round(w.packing.windowMs / w.packing.periodMs);
  const data: string[] = [];
  const flagged = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const s = w.slots.get(i);
    data.push(s && s.value !== null ? formatValue(s.value) : 'E');
    for (const flag of s?.quality ?? []) flagged.set(flag, [...(flagged.get(flag) ?? []), i]);
  }
  const extension: Extension[] = [...flagged].sort(([a], [b]) => a.localeCompare(b)).map(([flag, slots]) => ({
    url: sampleQualityUrl,
    extension: [
      { url: 'flag', valueCode: flag },
      { url: 'samples', valueString: slots.join(' ') },
    ],
  }));
  if (w.gatewayId) extension.push({ url: gatewayDeviceUrl, valueReference: { reference: `Device/${w.gatewayId}` } });
  return {
    resourceType: 'Observation',
    ...(w.info.category === 'vital-signs' ? { meta: { profile: [vitalSignsProfile] } } : {}),
    ...(extension.length ? { extension } : {}),
    identifier: [w.identifier],
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: w.info.category }] }],
    code: { coding: w.info.code },
    subject: { reference: `Patient/${w.patientId}` },
    effectivePeriod: {
      extension: [{ url: tzOffsetUrl, valueString: w.sourceOffset }],
      start: new Date(w.windowStart).toISOString(),
      end: new Date(w.windowStart + w.packing.windowMs).toISOString(),
    },
    device: { reference: `Device/${w.deviceId}` },
    valueSampledData: {
      origin: { value: 0, unit: w.info.unit.display, system: ucum, code: w.info.unit.code },
      period: w.packing.periodMs,
      dimensions: 1,
      data: data.join(' '),
    },
  };
}

/** The slots an earlier version of the window's Observation holds, to merge late samples into. */
export function slotsOf(o: Observation): Slots {
  const slots: Slots = new Map();
  const values = o.valueSampledData?.data?.split(' ') ?? [];
  values.forEach((v, i) => {
    if (v !== 'E') slots.set(i, { value: Number(v), quality: [] });
  });
  for (const [i, flags] of flaggedSamples(o)) {
    const s = slots.get(i) ?? { value: null, quality: [] };
    s.quality.push(...flags);
    slots.set(i, s);
  }
  return slots;
}

/** The quality flags of each flagged sample (by index), from the sample-quality extensions. */
function flaggedSamples(o: Observation): Map<number, string[]> {
  const flagged = new Map<number, string[]>();
  for (const ext of o.extension ?? []) {
    if (ext.url !== sampleQualityUrl) continue;
    const flag = ext.extension?.find((e) => e.url === 'flag')?.valueCode;
    if (!flag) continue;
    for (const i of ext.extension?.find((e) => e.url === 'samples')?.valueString?.split(' ').map(Number) ?? []) {
      flagged.set(i, [...(flagged.get(i) ?? []), flag]);
    }
  }
  return flagged;
}

/**
 * The values of a SampledData Observation that aggregates and alerts may use: origin + factor ×
 * data, without the E/L/U markers and without the samples a sample-quality extension flags.
 */
export function usableValues(o: Observation): number[] {
  const data = o.valueSampledData?.data?.split(' ') ?? [];
  const flagged = flaggedSamples(o);
  const origin = o.valueSampledData?.origin?.value ?? 0;
  const factor = o.valueSampledData?.factor ?? 1;
  return data.flatMap((v, i) => (['E', 'L', 'U'].includes(v) || flagged.has(i) ? [] : [origin + factor * Number(v)]));
}

function formatValue(v: number): string {
  return String(Math.round(v * 10_000) / 10_000);
}
