import type { Coding, Observation } from '@medplum/fhirtypes';

/** The metrics Serium ingests, named as their Open mHealth schemas are. */
export const metrics = [
  'heart-rate',
  'oxygen-saturation',
  'blood-pressure',
  'blood-glucose',
  'body-weight',
  'body-height',
  'body-temperature',
  'respiratory-rate',
  'step-count',
  'body-mass-index',
] as const;
export type Metric = (typeof metrics)[number];

export function isMetric(name: string): name is Metric {
  return (metrics as readonly string[]).includes(name);
}

/**
 * One measurement mapped to FHIR, before the ingest ties it to a patient and a device. The
 * Observation has no id, identifier, subject, device or gateway extension yet.
 */
export interface Reading {
  metric: Metric;
  observation: Observation;
  /** The reading's start as a UTC instant (ISO 8601 with Z), for the deduplication key. */
  start: string;
  /** Length of the effective period in ms; 0 for a point in time. */
  durationMs: number;
  /** Codes that tell two readings at the same time apart (meal context, statistic), in order. */
  supplemental: string[];
  /** The Open mHealth header id, when the payload had one. */
  sourceId?: string;
}

/** One sample of a high-rate stream (compact payload), before packing into SampledData. */
export interface Sample {
  /** UTC instant, ISO 8601 with Z. */
  time: string;
  /** In the metric's canonical unit (MetricInfo.unit); null when the device sent no value. */
  value: number | null;
  /** Quality flags (motion, cuff-fit, ...); empty when none. */
  quality: string[];
}

/** A compact batch of samples from one device (payload B), checked and converted. */
export interface SampleBatch {
  metric: Metric;
  seq: number;
  /** The source's UTC offset as sent (+01:00, -00:00 when unknown). */
  sourceOffset: string;
  samples: Sample[];
  device: DeviceInfo;
  gateway?: DeviceInfo & { id: string };
}

/** What a payload says about the device that measured (or the phone that relayed). */
export interface DeviceInfo {
  manufacturer?: string;
  model?: string;
  firmware?: string;
  /** Battery charge in percent. */
  battery?: number;
}

/** Codes, unit and profile of one metric, as stored. */
export interface MetricInfo {
  /** LOINC coding first, then MDC and any other codings. */
  code: Coding[];
  category: 'vital-signs' | 'activity';
  /** Canonical UCUM unit: code and human-readable unit. */
  unit: { code: string; display: string };
  /** Profile claimed in meta.profile (a URL of fhir-profiles/), when one applies. */
  profile?: string;
}

/** Why a message was not stored; published on the dead-letter topic and counted. */
export type RejectReason =
  | 'malformed'
  | 'schema'
  | 'unknown-metric'
  | 'implausible'
  | 'unknown-tenant'
  | 'unknown-patient'
  | 'unknown-device'
  | 'wrong-patient'
  | 'rate-limited'
  | 'invalid'
  | 'too-large';

export class Rejection extends Error {
  constructor(
    readonly reason: RejectReason,
    message: string,
  ) {
    super(message);
  }
}
