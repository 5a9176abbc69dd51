import type { ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../paths.js';
import { parseDateTime, utcInstant } from '../date-time.js';
import { describeErrors, newAjv } from '../json-schema.js';
import { checkRange, checkSteps, type RangeName } from '../plausibility.js';
import { Rejection, type DeviceInfo, type Metric, type Sample, type SampleBatch } from '../reading.js';
import { toCanonical, type Converted } from '../units.js';

export const compactFormat = 'serium-compact/1';

/** The metrics a compact batch may carry: the high-rate streams. */
export const compactMetrics = ['heart-rate', 'oxygen-saturation', 'respiratory-rate', 'step-count'] as const satisfies readonly Metric[];
type CompactMetric = (typeof compactMetrics)[number];

export const compactSchemaFile = join(projectRoot(), 'src', 'ingest', 'compact', 'compact-batch.schema.json');

interface CompactBatch {
  seq: number;
  start: string;
  interval_ms?: number;
  offsets_ms?: number[];
  unit: string;
  values: (number | null)[];
  quality?: Record<string, string[]>;
  battery?: number;
  firmware?: string;
  model?: string;
  manufacturer?: string;
  gateway?: DeviceInfo & { id: string };
}

/** A lone sample of an irregular step-count batch is taken to cover one minute. */
const loneStepWindowMs = 60000;

let validate: ValidateFunction | undefined;

/** Whether a parsed payload is a compact batch (says format serium-compact/1), not Open mHealth. */
export function isCompact(payload: unknown): boolean {
  return typeof payload === 'object' && payload !== null && (payload as { format?: unknown }).format === compactFormat;
}

/**
 * Decodes a compact batch (compact-batch.schema.json) published on a topic whose last level is
 * `metricSegment`: checks it, converts each value to the metric's canonical unit, checks each
 * for plausibility, and gives each sample its UTC time. All or nothing: one bad sample rejects
 * the batch. Throws Rejection: `unknown-metric`, `schema`, `implausible`.
 */
export function decodeCompact(metricSegment: string, payload: unknown): SampleBatch {
  const metric = compactMetric(metricSegment);
  const batch = checked(payload);
  const start = parseDateTime(batch.start);
  if (!start) throw new Rejection('schema', `start "${batch.start}" is not an RFC 3339 date-time with an offset`);
  if (!toCanonical(metric, 0, batch.unit)) throw new Rejection('schema', `unit "${batch.unit}" is not a unit of ${metric}`);
  const offsets = batch.offsets_ms;
  if (offsets) checkOffsets(offsets, batch.values.length);
  for (const index of Object.keys(batch.quality ?? {})) {
    if (Number(index) >= batch.values.length) throw new Rejection('schema', `quality["${index}"] names no sample (values has ${batch.values.length})`);
  }
  const timeOf = (i: number) => start.ms + (offsets ? offsets[i] : i * (batch.interval_ms as number));
  const samples: Sample[] = batch.values.map((raw, i) => ({
    time: utcInstant(timeOf(i)),
    value: raw === null ? null : converted(metric, raw, batch.unit, i, windowMs(batch, i)),
    quality: batch.quality?.[String(i)] ?? [],
  }));
  const { manufacturer, model, firmware, battery } = batch;
  const device: DeviceInfo = definedOnly({ manufacturer, model, firmware, battery });
  return {
    metric,
    seq: batch.seq,
    sourceOffset: start.offset,
    samples,
    device,
    ...(batch.gateway ? { gateway: { ...batch.gateway } } : {}),
  };
}

function compactMetric(segment: string): CompactMetric {
  if (!(compactMetrics as readonly string[]).includes(segment)) {
    throw new Rejection('unknown-metric', `"${segment}" is not a metric of compact batches (${compactMetrics.join(', ')})`);
  }
  return segment as CompactMetric;
}

function checked(payload: unknown): CompactBatch {
  const p = payload as Record<string, unknown>;
  if (typeof p === 'object' && p !== null && !Array.isArray(p) && ('interval_ms' in p) === ('offsets_ms' in p)) {
    throw new Rejection('schema', 'exactly one of interval_ms (regular batch) and offsets_ms (irregular batch) is required');
  }
  validate ??= newAjv().compile(JSON.parse(readFileSync(compactSchemaFile, 'utf8')) as object);
  if (!validate(payload)) throw new Rejection('schema', describeErrors(validate.errors).join('; '));
  return payload as CompactBatch;
}

function checkOffsets(offsets: number[], count: number): void {
  if (offsets.length !== count) throw new Rejection('schema', `offsets_ms has ${offsets.length} entries, values ${count}`);
  for (let i = 1; i < offsets.length; i++) {
    if (offsets[i] < offsets[i - 1]) throw new Rejection('schema', `offsets_ms[${i}] ${offsets[i]} is before offsets_ms[${i - 1}] ${offsets[i - 1]}`);
  }
}

/** How long sample i covers: interval_ms, or until the next sample (the last: the gap before it). */
function windowMs(batch: CompactBatch, i: number): number {
  const offsets = batch.offsets_ms;
  if (!offsets) return batch.interval_ms as number;
  if (offsets.length === 1) return loneStepWindowMs;
  return i + 1 < offsets.length ? offsets[i + 1] - offsets[i] : offsets[i] - offsets[i - 1];
}

function converted(metric: CompactMetric, raw: number, unit: string, i: number, window: number): number {
  const value = toCanonical(metric, raw, unit) as Converted;
  const field = `values[${i}]`;
  if (metric === 'step-count') checkSteps(value.value, window, field);
  else checkRange(metric as RangeName, value.value, field);
  return value.value;
}

const definedOnly = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
