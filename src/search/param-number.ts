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

export function numericCondition(prefix: Prefix, value: string, sql: SqlBuilder, column: string, name: string): string {
  if (!/^[-+]?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(value)) throw badRequest(`Invalid number "${value}" for parameter ${name}`);
  const n = Number(value);
  const decimals = /\.(\d+)/.exec(value.split(/[eE]/)[0])?.[1].length ?? 0;
  const half = 0.5 * 10 ** -decimals;
  const vlo = sql.add(String(n - half)) + '::numeric';
  const vhi = sql.add(String(n + half)) + '::numeric';
  const exact = sql.add(value) + '::numeric';
  switch (prefix) {
    case 'gt':
      return `${column} > ${exact}`;
    case 'lt':
      return `${column} < ${exact}`;
    case 'ge':
      return `${column} >= ${exact}`;
    case 'le':
      return `${column} <= ${exact}`;
    case 'sa':
      return `${column} > ${exact}`;
    case 'eb':
      return `${column} < ${exact}`;
    case 'ap': {
      const margin = Math.abs(n) * 0.1;
      return `${column} BETWEEN ${sql.add(String(n - margin))}::numeric AND ${sql.add(String(n + margin))}::numeric`;
    }
    case 'ne':
      return `NOT (${column} >= ${vlo} AND ${column} < ${vhi})`;
    default:
      return `(${column} >= ${vlo} AND ${column} < ${vhi})`;
  }
}
