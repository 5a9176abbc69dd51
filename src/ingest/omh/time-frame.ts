import type { Element, Extension, Period } from '@medplum/fhirtypes';
import { parseDateTime, utcInstant, type DateTimeValue } from '../date-time.js';
import { effectiveTimeSourceUrl, tzOffsetUrl } from '../fhir-urls.js';
import { Rejection } from '../reading.js';
import type { Source } from './source.js';

/** Observation.effective[x], with the primitive extensions (tz-offset) that the R4 JSON form allows. */
export interface EffectiveFields {
  effectiveDateTime?: string;
  _effectiveDateTime?: Element;
  effectivePeriod?: Period & { _start?: Element; _end?: Element };
}

/** A body's effective time as FHIR elements, and what the Reading needs of it. */
export interface Effective {
  fields: EffectiveFields;
  /** The start as a UTC instant. */
  start: string;
  durationMs: number;
  /** Observation extensions the time adds (where it came from, when the body had none). */
  extension: Extension[];
  /** Context the time frame carries (part_of_day): [property, value]. */
  context: [string, string][];
  supplemental: string[];
}

type Json = Record<string, unknown>;

/** Milliseconds per Open mHealth duration unit; a month and a year are UCUM's mean Julian ones. */
const durationMs: Record<string, number> = {
  ps: 1e-9,
  ns: 1e-6,
  us: 1e-3,
  ms: 1,
  sec: 1000,
  min: 60000,
  h: 3600000,
  d: 86400000,
  wk: 604800000,
  Mo: 30.4375 * 86400000,
  yr: 365.25 * 86400000,
};

/**
 * An Open mHealth effective_time_frame (already schema-checked) as effectiveDateTime or
 * effectivePeriod in UTC. Each dateTime keeps the offset it was written with in a tz-offset
 * extension on the element itself (_effectiveDateTime, effectivePeriod._start and _end). A date
 * with a part of the day becomes a day-precise effectiveDateTime. Without a time frame, the
 * header's times or the time of receipt stand in, and an extension says which.
 */
export function readTimeFrame(frame: unknown, source: Source): Effective {
  if (frame === undefined) return fallback(source);
  const f = frame as Json;
  if (typeof f.date_time === 'string') return point(time(f.date_time, 'effective_time_frame.date_time'));
  const interval = f.time_interval as Json;
  if (typeof interval.date === 'string') return day(interval.date, String(interval.part_of_day));
  const field = 'effective_time_frame.time_interval';
  const start = typeof interval.start_date_time === 'string' ? time(interval.start_date_time, `${field}.start_date_time`) : undefined;
  const end = typeof interval.end_date_time === 'string' ? time(interval.end_date_time, `${field}.end_date_time`) : undefined;
  const duration = interval.duration as { value: number; unit: string } | undefined;
  const length = duration ? Math.round(duration.value * durationMs[duration.unit]) : undefined;
  if (length !== undefined && length < 0) throw new Rejection('schema', `${field}.duration ${duration?.value} ${duration?.unit} is negative`);
  if (start && end) {
    if (end.ms < start.ms) return reversed(start, String(interval.end_date_time));
    return period(start, end);
  }
  if (start) return period(start, { ms: start.ms + (length ?? 0), offset: start.offset });
  if (end) return period({ ms: end.ms - (length ?? 0), offset: end.offset }, end);
  throw new Rejection('schema', `${field} has neither a start nor an end`);
}

function point(at: DateTimeValue, extension: Extension[] = []): Effective {
  const instant = utcInstant(at.ms);
  return {
    fields: { effectiveDateTime: instant, _effectiveDateTime: offsetOf(at) },
    start: instant,
    durationMs: 0,
    extension,
    context: [],
    supplemental: [],
  };
}

function period(start: DateTimeValue, end: DateTimeValue): Effective {
  const effectivePeriod = { start: utcInstant(start.ms), _start: offsetOf(start), end: utcInstant(end.ms), _end: offsetOf(end) };
  return { fields: { effectivePeriod }, start: effectivePeriod.start, durationMs: end.ms - start.ms, extension: [], context: [], supplemental: [] };
}

/**
 * An interval that ends before it starts. JSON Schema cannot forbid it and the data point is
 * valid, but FHIR's Period must not end before its start (per-1): the start is kept as an open
 * period, the end as sent goes to the context, and effective-time-source says why.
 */
function reversed(start: DateTimeValue, end: string): Effective {
  const effectivePeriod = { start: utcInstant(start.ms), _start: offsetOf(start) };
  return {
    fields: { effectivePeriod },
    start: effectivePeriod.start,
    durationMs: 0,
    extension: [{ url: effectiveTimeSourceUrl, valueCode: 'end-before-start' }],
    context: [['time_interval.end_date_time', end]],
    supplemental: [],
  };
}

/** A local date and part of the day: no time and no offset are known, so the day is all FHIR can say. */
function day(date: string, partOfDay: string): Effective {
  return {
    fields: { effectiveDateTime: date },
    start: `${date}T00:00:00.000Z`,
    durationMs: 0,
    extension: [],
    context: [['part_of_day', partOfDay]],
    supplemental: [partOfDay],
  };
}

function fallback(source: Source): Effective {
  const [property, at] = source.fallbackTimes[0] ?? ['received', { ms: source.receivedAt.getTime(), offset: '+00:00' }];
  const extension = [{ url: effectiveTimeSourceUrl, valueCode: property }];
  if (property !== 'received') return point(at, extension);
  // Serium's clock says nothing of the source's offset.
  const instant = utcInstant(at.ms);
  return { fields: { effectiveDateTime: instant }, start: instant, durationMs: 0, extension, context: [], supplemental: [] };
}

function time(text: string, field: string): DateTimeValue {
  const parsed = parseDateTime(text);
  if (!parsed) throw new Rejection('schema', `${field} "${text}" is not an RFC 3339 date-time with an offset`);
  return parsed;
}

const offsetOf = (at: DateTimeValue) => ({ extension: [{ url: tzOffsetUrl, valueString: at.offset }] });
