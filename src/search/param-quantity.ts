import { badRequest } from '../fhir/outcome.js';
import { splitPrefix, type Prefix } from './prefix.js';
import { checkNumber, compareNumber, halfPrecision, numericCondition } from './param-number.js';
import type { SqlBuilder } from './sql-builder.js';
import { lookupUnit, toCanonical, ucumSystem, type Canonical } from './ucum.js';

/**
 * Match on a quantity row for "[prefix]number|system|code" (system and code optional). The columns
 * are `${p}value`, `${p}system`, `${p}code`, `${p}unit`, `${p}canonical_value` and
 * `${p}canonical_code`: search_quantity's with the default p, search_composite's with "s.v_".
 *
 * With the UCUM system and a unit that has a canonical form, the number is converted to UCUM base
 * units and compared with the stored canonical values of the same base units, so 70000 g finds
 * 70 kg. Other systems, and UCUM units without a canonical form, match the system and code exactly.
 */
export function quantityMatch(raw: string, sql: SqlBuilder, name: string, p = 's.'): string {
  const [num, system, code] = raw.split('|');
  const { prefix, value } = splitPrefix(num);
  if (system === ucumSystem && code) {
    const unit = lookupUnit(code);
    if (unit === 'invalid') throw badRequest(`Unknown UCUM unit "${code}" for parameter ${name}`);
    if (unit !== 'exact-only') {
      return `${p}canonical_code = ${sql.add(unit.unit)} AND ${canonicalCondition(prefix, value, unit, sql, `${p}canonical_value`, name)}`;
    }
  }
  const parts = [numericCondition(prefix, value, sql, `${p}value`, name)];
  if (system) parts.push(`${p}system = ${sql.add(system)}`);
  if (code) {
    const c = sql.add(code);
    parts.push(system ? `${p}code = ${c}` : `(${p}code = ${c} OR ${p}unit = ${c})`);
  }
  return parts.join(' AND ');
}

/**
 * numericCondition's comparison, in base units: the bounds of the search value (its precision
 * range for eq and ne, 10% either side for ap) are worked out in the unit searched for and then
 * each converted, so "1 g/L" is [0.95, 1.05) g/L, that is [950, 1050) g.m-3.
 */
function canonicalCondition(prefix: Prefix, value: string, unit: Canonical, sql: SqlBuilder, column: string, name: string): string {
  checkNumber(value, name);
  const n = Number(value);
  const at = (v: number) => () => `${sql.add(toCanonical(v, unit))}::numeric`;
  const half = Number(halfPrecision(value));
  const margin = Math.abs(n) * 0.1;
  return compareNumber(prefix, column, { value: at(n), lo: at(n - half), hi: at(n + half), apLo: at(n - margin), apHi: at(n + margin) });
}
