import type { SearchParameter } from '@medplum/fhirtypes';
import { badRequest } from '../fhir/outcome.js';
import { compositeShape } from './composite.js';
import { dateCondition } from './param-date.js';
import { quantityMatch } from './param-quantity.js';
import { stringMatch } from './param-string.js';
import { tokenMatch } from './param-token.js';
import type { SqlBuilder } from './sql-builder.js';
import { splitEscaped, unescapeValue } from './split-values.js';

/**
 * Match on search_composite s for a composite value list: values separated by commas (OR), each
 * "token$value" where each part takes its own type's syntax ("http://loinc.org|8480-6$gt130").
 * Both parts are matched on one row, so on the same element. `\,` and `\$` escape.
 */
export function compositeMatch(sp: SearchParameter, raw: string, sql: SqlBuilder, name: string): string {
  const shape = compositeShape(sp);
  if (!shape) throw badRequest(`Composite parameter ${name} is not supported`);
  const values = splitEscaped(raw, ',').filter((v) => v !== '');
  if (!values.length) throw badRequest(`Parameter ${name} has no value`);
  const one = (value: string): string => {
    const parts = splitEscaped(value, '$').map(unescapeValue);
    if (parts.length !== 2 || !parts[0] || !parts[1]) {
      throw badRequest(`Parameter ${name} takes two values joined by $ (token$${shape.second.type}), got "${value}"`);
    }
    const [token, second] = parts;
    return `(${tokenMatch(token, sql)}) AND (${secondMatch(shape.second.type, second, sql, name)})`;
  };
  return values.length === 1 ? one(values[0]) : values.map((v) => `(${one(v)})`).join(' OR ');
}

function secondMatch(type: string, value: string, sql: SqlBuilder, name: string): string {
  switch (type) {
    case 'token':
      return tokenMatch(value, sql, 's.v_system', 's.v_code');
    case 'quantity':
      return quantityMatch(value, sql, name, 's.v_');
    case 'date':
      return dateCondition(value, sql, 's.v_lo', 's.v_hi', name);
    default:
      return stringMatch(value, undefined, sql, 's.v_string', 's.v_exact');
  }
}
