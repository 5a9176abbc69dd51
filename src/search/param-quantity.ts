import { splitPrefix } from './prefix.js';
import { numericCondition } from './param-number.js';
import type { SqlBuilder } from './sql-builder.js';

/** Match on search_quantity s for "[prefix]number|system|code" (system and code optional). */
export function quantityMatch(raw: string, sql: SqlBuilder, name: string): string {
  const [num, system, code] = raw.split('|');
  const { prefix, value } = splitPrefix(num);
  const parts = [numericCondition(prefix, value, sql, 's.value', name)];
  if (system) parts.push(`s.system = ${sql.add(system)}`);
  if (code) {
    const c = sql.add(code);
    parts.push(system ? `s.code = ${c}` : `(s.code = ${c} OR s.unit = ${c})`);
  }
  return parts.join(' AND ');
}
