import { badRequest } from '../fhir/outcome.js';

/** The largest page any search or history answers, whatever _count asks. */
export const maxPageSize = 1000;

/** _count (capped at max) and _offset from a query, each a non-negative integer. */
export function pageParams(params: URLSearchParams, defaultCount: number, max = maxPageSize): { count: number; offset: number } {
  return {
    count: nonNegative(params.get('_count'), defaultCount, max, '_count'),
    offset: nonNegative(params.get('_offset'), 0, Number.MAX_SAFE_INTEGER, '_offset'),
  };
}

function nonNegative(raw: string | null, fallback: number, max: number, name: string): number {
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw badRequest(`${name} must be a non-negative integer`);
  return Math.min(max, Number(raw));
}
