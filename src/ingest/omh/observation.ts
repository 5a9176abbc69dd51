import type { Coding, Observation, ObservationComponent, Quantity } from '@medplum/fhirtypes';
import { ucumSystem } from '../../search/ucum.js';
import { quantityTranslationUrl } from '../fhir-urls.js';
import { categoryOf, metricInfo } from '../metric-info.js';
import type { Metric, Reading } from '../reading.js';
import type { Converted } from '../units.js';
import { contextExtension, type BodyContext } from './context.js';
import type { Effective } from './time-frame.js';
import type { Source } from './source.js';

/** The pieces a mapper has worked out for one body. */
export interface ReadingParts {
  metric: Metric;
  /** Codings that replace the metric's own (glucose by meal, steps per day). */
  code?: Coding[];
  effective: Effective;
  context: BodyContext;
  source: Source;
  value?: Converted;
  component?: ObservationComponent[];
}

/**
 * The Reading for one body: a final Observation with the metric's category, codes and profile,
 * the effective time, the value, and every piece of context; no subject or device yet.
 */
export function buildReading(parts: ReadingParts): Reading {
  const { metric, effective, context, source, value, component } = parts;
  const info = metricInfo[metric];
  const extension = [
    ...effective.extension,
    ...context.extension,
    ...[...effective.context, ...source.context].map(([property, text]) => contextExtension(property, text)),
  ];
  const observation: Observation = {
    resourceType: 'Observation',
    ...(info.profile ? { meta: { profile: [info.profile] } } : {}),
    ...(extension.length ? { extension } : {}),
    status: 'final',
    category: [categoryOf(info)],
    code: { coding: (parts.code ?? info.code).map((c) => ({ ...c })) },
    ...effective.fields,
    ...(value ? { valueQuantity: quantityOf(value) } : {}),
    ...(context.note ? { note: context.note } : {}),
    ...(context.bodySite ? { bodySite: context.bodySite } : {}),
    ...(context.method ? { method: context.method } : {}),
    ...(component ? { component } : {}),
  };
  return {
    metric,
    observation,
    start: effective.start,
    durationMs: effective.durationMs,
    supplemental: [...context.supplemental, ...effective.supplemental],
    ...(source.id !== undefined ? { sourceId: source.id } : {}),
  };
}

/** A converted value as a UCUM Quantity; a value that was converted keeps the one sent in a PQ-translation extension. */
export function quantityOf(converted: Converted): Quantity {
  return {
    ...(converted.original ? { extension: [{ url: quantityTranslationUrl, valueQuantity: converted.original }] } : {}),
    value: converted.value,
    unit: converted.unit.display,
    system: ucumSystem,
    code: converted.unit.code,
  };
}
