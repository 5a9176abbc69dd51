import { badRequest } from '../fhir/outcome.js';
import { splitPrefix, type Prefix } from './prefix.js';
import type { SqlBuilder } from './sql-builder.js';

/**
 * Condition for a number against a stored point value. A search value stands for the range of
 * its precision ("100" is [99.5, 100.5)), so eq means "within that range".
 */
export function numberCondition(raw: string, sql: SqlBuilder, column: string, name: string): string {
  const { prefix, value } = splitPrefix(raw);
  return numericCondition(prefix, value, sql, column, name);
}

/** Rejects a search number that is not a decimal (with an optional exponent). */
export function checkNumber(value: string, name: string): void {
  if (!/^[-+]?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(value)) throw badRequest(`Invalid number "${value}" for parameter ${name}`);
}

/** Half the last decimal place of a search number: "100" is 0.5, "6.30" is 0.005. */
export function halfPrecision(value: string): string {
  const decimals = /\.(\d+)/.exec(value.split(/[eE]/)[0])?.[1].length ?? 0;
  return `0.${'0'.repeat(decimals)}5`;
}

export function numericCondition(prefix: Prefix, value: string, sql: SqlBuilder, column: string, name: string): string {
  checkNumber(value, name);
  const n = Number(value);
  // the bounds are computed in numeric, not in binary floating point (0.7 - 0.05 is 0.6499999...)
  const exactValue = sql.lazy(value, '::numeric');
  const half = sql.lazy(halfPrecision(value), '::numeric');
  const margin = Math.abs(n) * 0.1;
  return compareNumber(prefix, column, {
    value: exactValue,
    lo: () => `(${exactValue()} - ${half()})`,
    hi: () => `(${exactValue()} + ${half()})`,
    apLo: () => `${sql.add(String(n - margin))}::numeric`,
    apHi: () => `${sql.add(String(n + margin))}::numeric`,
  });
}

/**
 * A search number as SQL, made on demand: the value, the range of its precision [lo, hi), and the
 * range ap accepts (10% either side).
 */
export interface NumberBounds {
  value(): string;
  lo(): string;
  hi(): string;
  apLo(): string;
  apHi(): string;
}

/** A stored number in `column` against a search number, per prefix (R4 search.html#number). */
export function compareNumber(prefix: Prefix, column: string, b: NumberBounds): string {
  switch (prefix) {
    case 'gt':
    case 'sa':
      return `${column} > ${b.value()}`;
    case 'lt':
    case 'eb':
      return `${column} < ${b.value()}`;
    case 'ge':
      return `${column} >= ${b.value()}`;
    case 'le':
      return `${column} <= ${b.value()}`;
    case 'ap':
      return `${column} BETWEEN ${b.apLo()} AND ${b.apHi()}`;
    case 'ne':
      return `NOT (${column} >= ${b.lo()} AND ${column} < ${b.hi()})`;
    default:
      return `(${column} >= ${b.lo()} AND ${column} < ${b.hi()})`;
  }
}
