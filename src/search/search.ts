import type { OperationOutcomeIssue, SearchParameter } from '@medplum/fhirtypes';
import { badRequest, FhirError } from '../fhir/outcome.js';
import type { Definitions } from '../fhir/definitions.js';
import type { Queryable } from '../db/database.js';
import { currentVersionJoin, fromRecord, type StoredVersion, versionColumns, type VersionRecord } from '../repository/stored.js';
import { dateCondition } from './param-date.js';
import { numberCondition } from './param-number.js';
import { quantityMatch } from './param-quantity.js';
import { referenceMatch } from './param-reference.js';
import { stringMatch } from './param-string.js';
import { tokenMatch } from './param-token.js';
import { uriMatch } from './param-uri.js';
import { indexExists, SqlBuilder } from './sql-builder.js';
import { maxPageSize, pageParams } from './paging.js';
import { isRowParam, rowParams } from './row-params.js';
import { includeKeys } from './include.js';
import { chainCondition, hasCondition, type KeyCondition } from './chain.js';
import { compartmentCondition } from './compartment.js';
import { escapeLike } from './normalize.js';

/** Modifiers accepted per parameter type (besides :missing, accepted on all). */
export const supportedModifiers: Record<string, string[]> = {
  token: ['not', 'text'],
  string: ['exact', 'contains'],
  reference: [],
  date: [],
  number: [],
  quantity: [],
  uri: ['below', 'above'],
};

/** Result-shaping parameters understood by this engine. */
export const resultParams = ['_count', '_offset', '_sort', '_total', '_summary', '_elements', '_format', '_pretty', ...includeKeys];

export interface SearchRequest {
  resourceType: string;
  params: URLSearchParams;
  strict: boolean;
  maxCount?: number;
  /** Compartment search ([compartment type]/[id]/[type]): only members of that compartment. */
  compartment?: { type: string; id: string };
}

export interface SearchResult {
  entries: StoredVersion[];
  total?: number;
  issues: OperationOutcomeIssue[];
  count: number;
  offset: number;
  /** Whether matches exist beyond this page. */
  more: boolean;
  /** The parameters actually applied, for self and paging links. */
  applied: URLSearchParams;
}


export interface SearchContext {
  q: Queryable;
  tenant: string;
  defs: Definitions;
  baseUrl: string;
}

export async function search(ctx: SearchContext, req: SearchRequest): Promise<SearchResult> {
  const sql = new SqlBuilder();
  const where = [`r.tenant = ${sql.add(ctx.tenant)}`, `r.resource_type = ${sql.add(req.resourceType)}`, 'NOT r.deleted'];
  if (req.compartment) where.push(compartmentCondition(ctx, req.compartment, req.resourceType, sql));
  const issues: OperationOutcomeIssue[] = [];
  const applied = new URLSearchParams();

  for (const [key, raw] of req.params) {
    if (resultParams.includes(key)) continue;
    const condition = keyCondition(ctx, req.resourceType, key, raw, sql);
    if (typeof condition === 'string') {
      where.push(condition);
      applied.append(key, raw);
    } else {
      const message = `Search parameter ${key} is not supported for ${req.resourceType}: ${condition.reason}`;
      if (req.strict) throw badRequest(message);
      issues.push({ severity: 'warning', code: 'not-supported', diagnostics: `${message}; it was ignored` });
    }
  }

  const maxCount = req.maxCount ?? maxPageSize;
  const { count, offset } = pageParams(req.params, 20, maxCount);
  const order = sortClause(req.params.get('_sort'), issues, applied, req.strict);

  const summary = req.params.get('_summary');
  const totalMode = summary === 'count' ? 'accurate' : (req.params.get('_total') ?? 'auto');
  const whereSql = where.join('\n   AND ');
  const whereParams = [...sql.params]; // the conditions' values, before LIMIT and OFFSET are added
  let entries: StoredVersion[] = [];
  let more = false;
  if (summary !== 'count' && count > 0) {
    // one row beyond the page tells whether a next page exists
    const { rows } = await ctx.q.query<VersionRecord>(
      `SELECT ${versionColumns}
         FROM resource r ${currentVersionJoin}
        WHERE ${whereSql}
        ORDER BY ${order}
        LIMIT ${sql.add(count + 1)} OFFSET ${sql.add(offset)}`,
      sql.params,
    );
    more = rows.length > count;
    entries = rows.slice(0, count).map(fromRecord);
  }
  let total: number | undefined;
  const complete = !more && summary !== 'count' && count > 0 && (offset === 0 || entries.length > 0);
  if (totalMode === 'accurate' || (totalMode === 'auto' && complete)) {
    if (totalMode === 'auto') total = offset + entries.length;
    else {
      const { rows } = await ctx.q.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM resource r WHERE ${whereSql}`,
        whereParams,
      );
      total = rows[0].n;
    }
  }
  for (const k of ['_count', '_sort', '_total', '_summary', '_elements']) {
    const v = req.params.get(k);
    if (v !== null && !applied.has(k)) applied.set(k, v);
  }
  for (const k of includeKeys) for (const v of req.params.getAll(k)) applied.append(k, v);
  return { entries, total, issues, count, offset, more, applied };
}

/** The condition for one parameter key: plain, chained (a.b) or reverse-chained (_has:...). */
const keyCondition: KeyCondition = (ctx, resourceType, key, raw, sql) => {
  if (key.startsWith('_has:')) return hasCondition(ctx, resourceType, key, raw, sql, keyCondition);
  if (key.includes('.')) return chainCondition(ctx, resourceType, key, raw, sql, keyCondition);
  const [name, modifier] = key.split(':', 2);
  return buildCondition(ctx, ctx.defs.searchParams.get(resourceType)?.get(name), name, modifier, raw, sql);
};

function buildCondition(
  ctx: SearchContext,
  sp: SearchParameter | undefined,
  name: string,
  modifier: string | undefined,
  raw: string,
  sql: SqlBuilder,
): string | { reason: string } {
  if (isRowParam(name) && modifier === 'missing') {
    // every resource has an id and a lastUpdated
    if (raw !== 'true' && raw !== 'false') throw badRequest(`${name}:missing must be true or false`);
    return raw === 'true' ? 'false' : 'true';
  }
  if (name === '_id') {
    if (modifier) return { reason: 'no modifiers on _id' };
    return `r.id = ANY(${sql.add(raw.split(','))}::text[])`;
  }
  if (name === '_lastUpdated') {
    if (modifier) return { reason: 'no modifiers on _lastUpdated' };
    return orJoin(raw.split(',').map((v) => dateCondition(v, sql, 'r.last_updated', "r.last_updated + interval '1 millisecond'", name)));
  }
  if (!sp) return { reason: 'unknown parameter' };
  const type = sp.type as string;
  if (!(type in supportedModifiers)) return { reason: `${type} parameters are not supported yet` };
  const table = type;
  if (modifier === 'missing') {
    if (raw !== 'true' && raw !== 'false') throw badRequest(`${name}:missing must be true or false`);
    const exists = indexExists(table, name, sql, '');
    return raw === 'true' ? `NOT ${exists}` : exists;
  }
  if (modifier && !supportedModifiers[type].includes(modifier) && !(type === 'reference' && /^[A-Z]/.test(modifier))) {
    return { reason: `modifier :${modifier} is not supported on ${type} parameters` };
  }
  const values = splitValues(raw);
  if (!values.length) throw badRequest(`Parameter ${name} has no value`);
  const matchOne = (v: string): string => {
    switch (type) {
      case 'token':
        return modifier === 'text' ? `lower(s.text) LIKE ${sql.add(escapeLike(v.toLowerCase()) + '%')}` : tokenMatch(v, sql);
      case 'string':
        return stringMatch(v, modifier, sql);
      case 'reference':
        return referenceMatch(v, modifier, sql, ctx.baseUrl, name);
      case 'date':
        return dateCondition(v, sql, 's.lo', 's.hi', name);
      case 'number':
        return numberCondition(v, sql, 's.value', name);
      case 'quantity':
        return quantityMatch(v, sql, name);
      case 'uri':
        return uriMatch(v, modifier, sql);
      default:
        throw new FhirError('not-supported', `Unsupported parameter type ${type}`);
    }
  };
  const match = orJoin(values.map(matchOne));
  if (type === 'token' && modifier === 'not') return `NOT ${indexExists(table, name, sql, match)}`;
  return indexExists(table, name, sql, match);
}

/** Splits a parameter value on commas that are not escaped with a backslash. */
export function splitValues(raw: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '\\' && i + 1 < raw.length) cur += raw[++i];
    else if (raw[i] === ',') {
      out.push(cur);
      cur = '';
    } else cur += raw[i];
  }
  out.push(cur);
  return out.filter((v) => v !== '');
}

function orJoin(parts: string[]): string {
  return parts.length === 1 ? parts[0] : `(${parts.map((p) => `(${p})`).join(' OR ')})`;
}


function sortClause(raw: string | null, issues: OperationOutcomeIssue[], applied: URLSearchParams, strict: boolean): string {
  if (!raw) return 'r.last_updated DESC, r.id';
  const keys: string[] = [];
  for (const key of raw.split(',')) {
    const desc = key.startsWith('-');
    const name = desc ? key.slice(1) : key;
    const column = isRowParam(name) ? rowParams[name] : undefined;
    if (!column) {
      const message = `Sorting by ${name} is not supported`;
      if (strict) throw badRequest(message);
      issues.push({ severity: 'warning', code: 'not-supported', diagnostics: `${message}; it was ignored` });
      continue;
    }
    keys.push(`${column} ${desc ? 'DESC' : 'ASC'}`);
  }
  if (keys.length) applied.set('_sort', raw);
  return [...keys, 'r.id'].join(', ');
}
