import type { SqlBuilder } from './sql-builder.js';

/** Match on search_token s for one token value: code, system|code, |code or system|. */
export function tokenMatch(value: string, sql: SqlBuilder): string {
  const bar = value.indexOf('|');
  if (bar < 0) return `s.code = ${sql.add(value)}`;
  const system = value.slice(0, bar);
  const code = value.slice(bar + 1);
  if (!system) return `s.system IS NULL AND s.code = ${sql.add(code)}`;
  if (!code) return `s.system = ${sql.add(system)}`;
  return `s.system = ${sql.add(system)} AND s.code = ${sql.add(code)}`;
}
