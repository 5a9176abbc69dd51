import { dateRange } from '../fhir/date-range.js';
import { badRequest } from '../fhir/outcome.js';
import { rangeCondition, splitPrefix } from './prefix.js';
import type { SqlBuilder } from './sql-builder.js';

/** Condition for one date value against columns lo/hi (exclusive hi). */
export function dateCondition(raw: string, sql: SqlBuilder, lo: string, hi: string, name: string): string {
  const { prefix, value } = splitPrefix(raw);
  const range = dateRange(value);
  if (!range) throw badRequest(`Invalid date "${value}" for parameter ${name}`);
  const vlo = sql.lazy(new Date(range.lo).toISOString(), '::timestamptz');
  const vhi = sql.lazy(new Date(range.hi).toISOString(), '::timestamptz');
  return rangeCondition(prefix, lo, hi, vlo, vhi);
}
