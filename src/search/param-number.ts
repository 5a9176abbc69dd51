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
  const vlo = () => `(${exactValue()} - ${half()})`;
  const vhi = () => `(${exactValue()} + ${half()})`;
  switch (prefix) {
    case 'gt':
      return `${column} > ${exactValue()}`;
    case 'lt':
      return `${column} < ${exactValue()}`;
    case 'ge':
      return `${column} >= ${exactValue()}`;
    case 'le':
      return `${column} <= ${exactValue()}`;
    case 'sa':
      return `${column} > ${exactValue()}`;
    case 'eb':
      return `${column} < ${exactValue()}`;
    case 'ap': {
      const margin = Math.abs(n) * 0.1;
      return `${column} BETWEEN ${sql.add(String(n - margin))}::numeric AND ${sql.add(String(n + margin))}::numeric`;
    }
    case 'ne':
      return `NOT (${column} >= ${vlo()} AND ${column} < ${vhi()})`;
    default:
      return `(${column} >= ${vlo()} AND ${column} < ${vhi()})`;
  }
}
