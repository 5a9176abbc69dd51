import { escapeLike, normalizeString } from './normalize.js';
import type { SqlBuilder } from './sql-builder.js';

/** Match on search_string s: starts-with by default, :exact and :contains. */
export function stringMatch(value: string, modifier: string | undefined, sql: SqlBuilder): string {
  if (modifier === 'exact') return `s.exact = ${sql.add(value)}`;
  const norm = escapeLike(normalizeString(value));
  if (modifier === 'contains') return `s.value LIKE ${sql.add('%' + norm + '%')}`;
  return `s.value LIKE ${sql.add(norm + '%')}`;
}
