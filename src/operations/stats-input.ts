import type { Period } from '@medplum/fhirtypes';
import { dateRange } from '../fhir/date-range.js';
import { badRequest, FhirError } from '../fhir/outcome.js';
import type { StatsQuery } from '../search/stats.js';
import { localReference } from '../search/local-reference.js';
import { statisticsSystem, statisticsValueSet, isComputed } from './stats-output.js';

/** The inputs of Observation/$stats, checked. */
export interface StatsRequest {
  query: StatsQuery;
  /** Requested statistic codes, in request order, without repeats. */
  statistics: string[];
  /** The window as the statistics Observations state it. */
  period: Period;
  include: boolean;
  /** How many source Observations at most (include only); null: all. */
  limit: number | null;
}

const inputs = ['subject', 'code', 'system', 'coding', 'duration', 'period', 'statistic', 'include', 'limit'];
const single = ['subject', 'system', 'duration', 'period', 'include', 'limit'];

/**
 * Reads the inputs of Observation/$stats. Besides the Parameters resource of a POST, every input
 * may come as a query (or form) parameter: code and statistic repeated or comma-separated, coding
 * as system|code, and period as `period=start|end` with FHIR dates (the end may be left out for
 * an open window; the start may not, it is the origin of the regression). A code without a
 * system matches any system. Either duration (hours back from now) or period gives the window.
 */
export function parseStatsRequest(params: URLSearchParams, baseUrl: string, now: Date, allowedCodes: ReadonlySet<string> | null): StatsRequest {
  for (const key of new Set(params.keys())) {
    if (key.startsWith('_')) continue;
    if (!inputs.includes(key)) throw badRequest(`$stats has no input parameter ${key}`);
    if (single.includes(key) && params.getAll(key).length > 1) throw badRequest(`$stats takes at most one ${key} parameter`);
  }
  const subject = parseSubject(params.get('subject'), baseUrl);
  const codings = parseCodings(params);
  const statistics = parseStatistics(params.getAll('statistic'), allowedCodes);
  const { start, end, period } = parseWindow(params.get('duration'), params.get('period'), now);
  const include = parseBoolean(params.get('include'));
  // limit is ignored without include, as the operation definition requires
  const limit = include ? parseLimit(params.get('limit')) : null;
  return { query: { subject, codings, start, end }, statistics, period, include, limit };
}

function parseSubject(raw: string | null, baseUrl: string): StatsQuery['subject'] {
  if (raw === null || raw === '') throw badRequest('$stats needs a subject, such as subject=Patient/123', ['subject']);
  const ref = localReference(raw, baseUrl);
  if (!ref?.type || ref.versioned) throw badRequest(`$stats subject ${raw} is not a reference to a resource on this server, such as Patient/123`, ['subject']);
  return { type: ref.type, id: ref.id };
}

function parseCodings(params: URLSearchParams): StatsQuery['codings'] {
  const system = params.get('system') || null;
  const out = new Map<string, StatsQuery['codings'][number]>();
  const add = (s: string | null, code: string) => out.set(`${s ?? ''}|${code}`, { system: s, code });
  for (const code of params.getAll('code').flatMap((v) => v.split(','))) {
    if (!code.trim()) throw badRequest('$stats code must not be empty', ['code']);
    add(system, code.trim());
  }
  for (const raw of params.getAll('coding').flatMap((v) => v.split(','))) {
    const bar = raw.indexOf('|');
    const code = raw.slice(bar + 1).trim();
    if (bar < 0 || !code) throw badRequest(`$stats coding ${raw} is not system|code`, ['coding']);
    add(raw.slice(0, bar).trim() || null, code);
  }
  if (!out.size) throw badRequest('$stats needs a code (with system) or a coding', ['code']);
  return [...out.values()];
}

function parseStatistics(values: string[], allowedCodes: ReadonlySet<string> | null): string[] {
  const codes = [...new Set(values.flatMap((v) => v.split(',')).map((v) => v.trim()))];
  if (!codes.length || codes.includes('')) throw badRequest('$stats needs at least one statistic code, such as statistic=average', ['statistic']);
  for (const code of codes) {
    const known = allowedCodes ? allowedCodes.has(`${statisticsSystem}|${code}`) : isComputed(code);
    if (!known) {
      throw new FhirError('code-invalid', `$stats statistic ${code} is not in the value set ${statisticsValueSet}`, { expression: ['statistic'] });
    }
    if (!isComputed(code)) throw new FhirError('not-supported', `$stats does not compute the statistic ${code}`, { expression: ['statistic'] });
  }
  return codes;
}

/** The window [start, end) and the period the results state for it. */
function parseWindow(duration: string | null, period: string | null, now: Date): { start: Date; end: Date | null; period: Period } {
  if (duration !== null && period !== null) throw badRequest('$stats takes a duration or a period, not both');
  if (duration !== null) {
    const hours = /^\d{1,7}(\.\d{1,9})?$/.test(duration) ? Number(duration) : NaN;
    if (!(hours > 0)) throw badRequest(`$stats duration ${duration} is not a positive number of hours`, ['duration']);
    const start = new Date(now.getTime() - Math.round(hours * 3600000));
    // up to now, inclusive: effective times are kept to the millisecond
    return { start, end: new Date(now.getTime() + 1), period: { start: start.toISOString(), end: now.toISOString() } };
  }
  if (period === null) throw badRequest('$stats needs a duration (hours back from now) or a period', ['duration']);
  const bar = period.indexOf('|');
  const [rawStart, rawEnd] = bar < 0 ? [period, ''] : [period.slice(0, bar), period.slice(bar + 1)];
  const from = rawStart ? dateRange(rawStart) : undefined;
  if (!from) throw badRequest(`$stats period ${period} needs a start date (period=start|end, the end may be left out)`, ['period']);
  // the end date counts whole: period=2026-03-01|2026-03-07 runs to the end of 7 March
  const to = rawEnd ? dateRange(rawEnd) : undefined;
  if (rawEnd && !to) throw badRequest(`$stats period end ${rawEnd} is not a date`, ['period']);
  if (to && to.hi <= from.lo) throw badRequest(`$stats period ${period} ends before it starts`, ['period']);
  return {
    start: new Date(from.lo),
    end: to ? new Date(to.hi) : null,
    period: { start: rawStart, ...(rawEnd ? { end: rawEnd } : {}) },
  };
}

function parseBoolean(raw: string | null): boolean {
  if (raw === null || raw === 'false') return false;
  if (raw === 'true') return true;
  throw badRequest(`$stats include must be true or false, not ${raw}`, ['include']);
}

function parseLimit(raw: string | null): number | null {
  if (raw === null) return null;
  if (!/^[1-9]\d{0,8}$/.test(raw)) throw badRequest(`$stats limit ${raw} is not a positive integer`, ['limit']);
  return Number(raw);
}
