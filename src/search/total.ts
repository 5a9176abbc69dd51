import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { Queryable } from '../db/database.js';
import { badRequest } from '../fhir/outcome.js';

/**
 * _total (R4 search.html, _total): `none` leaves Bundle.total out, `accurate` counts every
 * match, `estimate` reports PostgreSQL's planner estimate of the number of matches (cheap: nothing
 * is counted, and it can be far off, in either direction, until the tables have been analysed).
 * Without _total (`auto`) the total is given only when the page shows every match; then `estimate`
 * gives that exact number too, and otherwise never less than the page has shown to exist.
 */
export type TotalMode = 'none' | 'estimate' | 'accurate' | 'auto';

const modes = ['none', 'estimate', 'accurate'];

/** The _total mode asked for; an unknown value is a warning (and ignored), or a 400 under handling=strict. */
export function totalMode(params: URLSearchParams, strict: boolean, issues: OperationOutcomeIssue[]): TotalMode {
  const raw = params.get('_total');
  if (raw === null || raw === '') return 'auto';
  if (modes.includes(raw)) return raw as TotalMode;
  const message = `_total must be one of none, estimate, accurate, not "${raw}"`;
  if (strict) throw badRequest(message, ['_total']);
  issues.push({ severity: 'warning', code: 'not-supported', diagnostics: `${message}; it was ignored` });
  return 'auto';
}

/** The exact number of resource rows r matching `where`. */
export async function countMatches(q: Queryable, where: string, params: unknown[]): Promise<number> {
  const { rows } = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM resource r WHERE ${where}`, params);
  return rows[0].n;
}

/**
 * The planner's estimate of the number of resource rows r matching `where`: the Plan Rows of the
 * top node of EXPLAIN (FORMAT JSON) for the rows the count would read. Never below one, as
 * PostgreSQL does not estimate empty results.
 */
export async function estimateMatches(q: Queryable, where: string, params: unknown[]): Promise<number> {
  const { rows } = await q.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) SELECT 1 FROM resource r WHERE ${where}`, params);
  let plan = rows[0]['QUERY PLAN'];
  if (typeof plan === 'string') plan = JSON.parse(plan);
  const estimate = Number((plan as { Plan?: { 'Plan Rows'?: unknown } }[])[0]?.Plan?.['Plan Rows']);
  return Number.isFinite(estimate) && estimate >= 0 ? Math.round(estimate) : 0;
}
