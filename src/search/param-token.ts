import { badRequest } from '../fhir/outcome.js';
import type { SqlBuilder } from './sql-builder.js';

/** Match on search_token s (or other system and code columns) for one token value: code, system|code, |code or system|. */
export function tokenMatch(value: string, sql: SqlBuilder, systemColumn = 's.system', codeColumn = 's.code'): string {
  const bar = value.indexOf('|');
  if (bar < 0) return `${codeColumn} = ${sql.add(value)}`;
  const system = value.slice(0, bar);
  const code = value.slice(bar + 1);
  if (!system) return `${systemColumn} IS NULL AND ${codeColumn} = ${sql.add(code)}`;
  if (!code) return `${systemColumn} = ${sql.add(system)}`;
  return `${systemColumn} = ${sql.add(system)} AND ${codeColumn} = ${sql.add(code)}`;
}

/** Match on the `[param]:of-type` rows (derived-rows.ts) for "system|code|value": all three are required. */
export function ofTypeMatch(value: string, sql: SqlBuilder, name: string): string {
  const first = value.indexOf('|');
  const second = first < 0 ? -1 : value.indexOf('|', first + 1);
  const [system, code, id] = second < 0 ? [] : [value.slice(0, first), value.slice(first + 1, second), value.slice(second + 1)];
  if (!system || !code || !id) throw badRequest(`${name}:of-type takes system|code|value (the identifier type's coding, then the identifier's value), got "${value}"`);
  return `s.system = ${sql.add(system)} AND s.code = ${sql.add(code)} AND s.text = ${sql.add(id)}`;
}
