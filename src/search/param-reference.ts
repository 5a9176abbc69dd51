import { badRequest } from '../fhir/outcome.js';
import type { SqlBuilder } from './sql-builder.js';

/** Match on search_reference s for "Type/id", "id" (with :Type or not), or an absolute URL. */
export function referenceMatch(value: string, modifier: string | undefined, sql: SqlBuilder, baseUrl: string, name: string): string {
  let local = value;
  if (local.startsWith(baseUrl + '/')) local = local.slice(baseUrl.length + 1);
  const typed = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(local);
  if (typed) {
    if (modifier && modifier !== typed[1]) throw badRequest(`Parameter ${name}:${modifier} does not match reference type ${typed[1]}`);
    return `s.target_type = ${sql.add(typed[1])} AND s.target_id = ${sql.add(typed[2])}`;
  }
  if (/^[A-Za-z0-9\-.]{1,64}$/.test(local)) {
    const type = modifier && /^[A-Z]/.test(modifier) ? ` AND s.target_type = ${sql.add(modifier)}` : '';
    return `s.target_id = ${sql.add(local)}${type}`;
  }
  return `s.url = ${sql.add(value)}`;
}
