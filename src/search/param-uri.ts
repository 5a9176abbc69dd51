import { escapeLike } from './normalize.js';
import type { SqlBuilder } from './sql-builder.js';

/** Match on search_uri s: exact by default, :below (prefix) and :above (the stored uri is a prefix). */
export function uriMatch(value: string, modifier: string | undefined, sql: SqlBuilder): string {
  if (modifier === 'below') return `s.value LIKE ${sql.add(escapeLike(value) + '%')}`;
  if (modifier === 'above') return `${sql.add(value)} LIKE s.value || '%'`;
  return `s.value = ${sql.add(value)}`;
}
