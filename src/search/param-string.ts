import { escapeLike, normalizeString } from './normalize.js';
import type { SqlBuilder } from './sql-builder.js';

/** Match on search_string s (or other normalised and exact columns): starts-with by default, :exact and :contains. */
export function stringMatch(value: string, modifier: string | undefined, sql: SqlBuilder, column = 's.value', exactColumn = 's.exact'): string {
  if (modifier === 'exact') return `${exactColumn} = ${sql.add(value)}`;
  const norm = escapeLike(normalizeString(value));
  if (modifier === 'contains') return `${column} LIKE ${sql.add('%' + norm + '%')}`;
  return `${column} LIKE ${sql.add(norm + '%')}`;
}
