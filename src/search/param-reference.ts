import { badRequest } from '../fhir/outcome.js';
import { localReference } from './local-reference.js';
import type { SqlBuilder } from './sql-builder.js';

/** Match on search_reference s for "Type/id", "id" (with :Type or not), or an absolute URL. */
export function referenceMatch(value: string, modifier: string | undefined, sql: SqlBuilder, baseUrl: string, name: string): string {
  const local = localReference(value, baseUrl);
  if (local?.type) {
    if (modifier && modifier !== local.type) throw badRequest(`Parameter ${name}:${modifier} does not match reference type ${local.type}`);
    return `s.target_type = ${sql.add(local.type)} AND s.target_id = ${sql.add(local.id)}`;
  }
  if (local) {
    const type = modifier && /^[A-Z]/.test(modifier) ? ` AND s.target_type = ${sql.add(modifier)}` : '';
    return `s.target_id = ${sql.add(local.id)}${type}`;
  }
  return `s.url = ${sql.add(value)}`;
}
