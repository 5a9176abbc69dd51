import { badRequest } from '../fhir/outcome.js';
import type { Terminology } from '../fhir/terminology.js';
import type { SqlBuilder } from './sql-builder.js';

/**
 * Match on search_token s for :in and :not-in (R4 search.html#modifiers): the value is the
 * canonical URL of a value set that Serium holds (the R4 value sets or one in fhir-profiles/),
 * expanded from its compose (listed concepts, whole code systems Serium holds, other value sets).
 * A coding matches when its system and code are both in the expansion. A value set that cannot be
 * expanded completely is refused: a partial expansion would silently drop matches.
 */
export function valueSetMatch(url: string, terminology: Terminology, sql: SqlBuilder, name: string): string {
  const codes = terminology.codes(url);
  if (!codes) {
    throw badRequest(
      `${name}: the value set ${url} is unknown or cannot be expanded here (it uses filters, or a code system this server does not hold)`,
    );
  }
  const pairs = [...codes];
  const bare = [...new Set(pairs.map((p) => p.slice(p.lastIndexOf('|') + 1)))];
  return `s.code = ANY(${sql.add(bare)}::text[]) AND (s.system || '|' || s.code) = ANY(${sql.add(pairs)}::text[])`;
}
