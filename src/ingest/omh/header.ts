import { parseDateTime, type DateTimeValue } from '../date-time.js';
import type { Source } from './source.js';

type Json = Record<string, unknown>;

/**
 * The Source of a data point, from its header (already checked against the header schema):
 * the id, every other scalar header field as context (schema_id aside, which the decoder has
 * used), and the header's times as fallbacks for a body without a time frame.
 */
export function readHeader(header: Json, receivedAt: Date): Source {
  const context: [string, string][] = [];
  const provenance = (header.acquisition_provenance ?? {}) as Json;
  for (const [key, value] of Object.entries(header)) {
    if (key === 'id' || key === 'schema_id' || key === 'acquisition_provenance') continue;
    context.push([`header.${key}`, text(value)]);
  }
  for (const [key, value] of Object.entries(provenance)) context.push([`header.acquisition_provenance.${key}`, text(value)]);
  const fallbackTimes: [string, DateTimeValue][] = [];
  const add = (property: string, value: unknown) => {
    const time = typeof value === 'string' ? parseDateTime(value) : undefined;
    if (time) fallbackTimes.push([property, time]);
  };
  add('header.acquisition_provenance.source_creation_date_time', provenance.source_creation_date_time);
  add('header.creation_date_time', header.creation_date_time);
  return { id: header.id as string, context, fallbackTimes, receivedAt };
}

/** The Source of a body sent without a header. */
export const bareSource = (receivedAt: Date): Source => ({ context: [], fallbackTimes: [], receivedAt });

const text = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));
