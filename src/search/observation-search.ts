import { dateCondition } from './param-date.js';
import { referenceMatch } from './param-reference.js';
import { tokenMatch } from './param-token.js';
import { SqlBuilder } from './sql-builder.js';
import { localReference } from './local-reference.js';
import { splitValues } from './split-values.js';

type Pair = [string, string];

/**
 * Whether observation_index answers this parameter exactly, and if so its condition on the row
 * alias s. Subject, patient, date and category (by bare code, as the row keeps category codes
 * without their systems) hold the same value on every row of an Observation ("row-invariant");
 * code matches the row's own coding.
 */
export function observationRowCondition(pair: Pair, baseUrl: string): ((b: SqlBuilder) => string) | undefined {
  const [key, raw] = pair;
  const values = splitValues(raw);
  if (!values.length) return undefined; // the generic path reports the missing value
  const local = (v: string) => localReference(v, baseUrl) !== undefined;
  let one: ((v: string, b: SqlBuilder) => string) | undefined;
  if (key === 'date') one = (v, b) => dateCondition(v, b, 's.lo', 's.hi', key);
  else if (key === 'code') one = (v, b) => tokenMatch(v, b);
  else if (key === 'category' && values.every((v) => !v.includes('|'))) one = (v, b) => `${b.add(v)} = ANY(s.categories)`;
  else if ((key === 'subject' || key === 'subject:Patient' || key === 'patient') && values.every(local)) {
    const [name, modifier] = key.split(':', 2);
    one = (v, b) => {
      const match = referenceMatch(v, modifier, b, baseUrl, name);
      return name === 'patient' ? `s.target_type = 'Patient' AND ${match}` : match;
    };
  }
  if (!one) return undefined;
  const match = one;
  return (b) => {
    const parts = values.map((v) => match(v, b));
    return parts.length === 1 ? parts[0] : `(${parts.map((p) => `(${p})`).join(' OR ')})`;
  };
}

/**
 * Takes the Observation parameters that observation_index answers out of a search, and returns
 * them as one condition on that table, so that "this patient, this code, this window" is one
 * index range scan. The rest stay with the generic index tables. A coding is one row, so only
 * one code parameter can join the others in one row; a second one (code=a&code=b: both
 * codings) stays generic.
 */
export function observationCondition(
  pairs: Pair[],
  sql: SqlBuilder,
  baseUrl: string,
  tenant: string,
): { condition: string; taken: Pair[]; rest: Pair[]; countSql: { text: string; params: unknown[] } } | undefined {
  const taken: Pair[] = [];
  const conditions: ((b: SqlBuilder) => string)[] = [];
  const rest: Pair[] = [];
  let code = false;
  for (const pair of pairs) {
    const condition = pair[0] === 'code' && code ? undefined : observationRowCondition(pair, baseUrl);
    if (!condition) {
      rest.push(pair);
      continue;
    }
    if (pair[0] === 'code') code = true;
    taken.push(pair);
    conditions.push(condition);
  }
  if (!taken.length) return undefined;
  // Each matching Observation has one row per coding: a single system|code value matches at
  // most one of them, so rows can be counted directly; otherwise count distinct resources.
  const codeValues = taken.filter(([k]) => k === 'code').flatMap(([, raw]) => splitValues(raw));
  const oneRow = codeValues.length === 1 && /^[^|]+\|[^|]+$/.test(codeValues[0]);
  const counter = new SqlBuilder();
  const countWhere = [`s.tenant = ${counter.add(tenant)}`, ...conditions.map((c) => c(counter))].join(' AND ');
  return {
    condition: `EXISTS (SELECT 1 FROM observation_index s WHERE s.tenant = r.tenant AND s.id = r.id AND ${conditions.map((c) => c(sql)).join(' AND ')})`,
    taken,
    rest,
    countSql: {
      text: `SELECT count(${oneRow ? '*' : 'DISTINCT s.id'})::int AS n FROM observation_index s WHERE ${countWhere}`,
      params: counter.params,
    },
  };
}
