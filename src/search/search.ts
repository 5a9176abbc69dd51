import type { OperationOutcomeIssue, SearchParameter } from '@medplum/fhirtypes';
import { badRequest, FhirError } from '../fhir/outcome.js';
import type { Definitions } from '../fhir/definitions.js';
import type { Queryable } from '../db/database.js';
import type { StoredVersion } from '../repository/stored.js';
import { dateCondition } from './param-date.js';
import { numberCondition } from './param-number.js';
import { quantityMatch } from './param-quantity.js';
import { compositeMatch } from './param-composite.js';
import { isSupportedComposite } from './composite.js';
import { referenceMatch } from './param-reference.js';
import { stringMatch } from './param-string.js';
import { ofTypeMatch, tokenMatch } from './param-token.js';
import { uriMatch } from './param-uri.js';
import { indexExists, SqlBuilder } from './sql-builder.js';
import { searchPage } from './search-page.js';
import { isRowParam } from './row-params.js';
import { includeKeys } from './include.js';
import { chainCondition, hasCondition, type KeyCondition } from './chain.js';
import { compartmentCondition } from './compartment.js';
import { escapeLike } from './normalize.js';
import { splitValues } from './split-values.js';
import { observationCondition } from './observation-search.js';
import { modifiersFor, supportedModifiers, textParams } from './modifiers.js';
import { commonCondition } from './common-params.js';
import { identifierParam, ofTypeParam } from './derived-rows.js';
import { textCondition } from './param-content.js';
import { valueSetMatch } from './param-value-set.js';
import type { Terminology } from '../fhir/terminology.js';

export { supportedModifiers } from './modifiers.js';

/** Result-shaping parameters understood by this engine. */
export const resultParams = ['_count', '_offset', '_cursor', '_sort', '_total', '_summary', '_elements', '_format', '_pretty', ...includeKeys];

export interface SearchRequest {
  resourceType: string;
  /**
   * A search over several types (system-level search): the types. Only parameters they all
   * define apply (common-params.ts); resourceType is then a label for messages.
   */
  resourceTypes?: readonly string[];
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
  /** _cursor values of the next and previous pages (keyset paging), when there are such pages. */
  next?: string;
  previous?: string;
  /** The parameters actually applied, for self and paging links. */
  applied: URLSearchParams;
}


export interface SearchContext {
  q: Queryable;
  tenant: string;
  defs: Definitions;
  baseUrl: string;
  /** Value sets for :in and :not-in. */
  terminology: Terminology;
}

/** The WHERE conditions of a search on resource rows r, with what was applied and ignored. */
export interface SearchWhere {
  sql: SqlBuilder;
  where: string[];
  issues: OperationOutcomeIssue[];
  applied: URLSearchParams;
  /** A cheaper exact count over the same matches, when every condition allows one. */
  countSql?: { text: string; params: unknown[] };
}

export function searchWhere(ctx: SearchContext, req: SearchRequest): SearchWhere {
  const sql = new SqlBuilder();
  const types = req.resourceTypes ?? [req.resourceType];
  const typeCondition = types.length === 1 ? `r.resource_type = ${sql.add(types[0])}` : `r.resource_type = ANY(${sql.add(types)}::text[])`;
  const where = [`r.tenant = ${sql.add(ctx.tenant)}`, typeCondition, 'NOT r.deleted'];
  if (req.compartment) where.push(compartmentCondition(ctx, req.compartment, req.resourceType, sql));
  const issues: OperationOutcomeIssue[] = [];
  const applied = new URLSearchParams();
  let pairs = [...req.params].filter(([key]) => !resultParams.includes(key));
  let countSql: SearchWhere['countSql'];
  if (types.length === 1 && types[0] === 'Observation') {
    const fast = observationCondition(pairs, sql, ctx.baseUrl, ctx.tenant);
    if (fast) {
      where.push(fast.condition);
      for (const [key, raw] of fast.taken) applied.append(key, raw);
      pairs = fast.rest;
      if (!pairs.length && !req.compartment) countSql = fast.countSql;
    }
  }

  for (const [key, raw] of pairs) {
    const condition = types.length === 1 ? keyCondition(ctx, types[0], key, raw, sql) : commonCondition(ctx, types, key, raw, sql, keyCondition);
    if (typeof condition === 'string') {
      where.push(condition);
      applied.append(key, raw);
    } else {
      const message = `Search parameter ${key} is not supported for ${req.resourceType}: ${condition.reason}`;
      if (req.strict) throw badRequest(message);
      issues.push({ severity: 'warning', code: 'not-supported', diagnostics: `${message}; it was ignored` });
    }
  }
  return { sql, where, issues, applied, countSql: countSql && issues.length === 0 ? countSql : undefined };
}

export async function search(ctx: SearchContext, req: SearchRequest): Promise<SearchResult> {
  return searchPage(ctx, req, searchWhere(ctx, req));
}

/** The condition for one parameter key: plain, chained (a.b) or reverse-chained (_has:...). */
const keyCondition: KeyCondition = (ctx, resourceType, key, raw, sql) => {
  if (key.startsWith('_has:')) return hasCondition(ctx, resourceType, key, raw, sql, keyCondition);
  if (key.includes('.')) return chainCondition(ctx, resourceType, key, raw, sql, keyCondition);
  const [name, modifier] = key.split(':', 2);
  return buildCondition(ctx, resourceType, ctx.defs.searchParams.get(resourceType)?.get(name), name, modifier, raw, sql);
};

function buildCondition(
  ctx: SearchContext,
  resourceType: string,
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
  if (type === 'composite' && !isSupportedComposite(sp)) return { reason: 'composites of this shape are not supported yet' };
  if (!sp.expression && !textParams.includes(name)) return { reason: 'it has no expression to index' };
  if (modifier && !modifiersFor(resourceType, sp).includes(modifier)) {
    return { reason: `modifier :${modifier} is not supported on ${name}; it takes ${modifiersFor(resourceType, sp).map((m) => `:${m}`).join(', ')}` };
  }
  if (textParams.includes(name)) return textCondition(name as '_text' | '_content', modifier, splitValues(raw), sql);
  const table = type;
  if (modifier === 'missing') {
    if (raw !== 'true' && raw !== 'false') throw badRequest(`${name}:missing must be true or false`);
    const exists = indexExists(table, name, sql, '');
    return raw === 'true' ? `NOT ${exists}` : exists;
  }
  if (type === 'composite') return indexExists(table, name, sql, compositeMatch(sp, raw, sql, name));
  const values = splitValues(raw);
  if (!values.length) throw badRequest(`Parameter ${name} has no value`);
  // modifiers answered from derived token rows (derived-rows.ts)
  if (modifier === 'of-type') return indexExists('token', ofTypeParam(name), sql, orJoin(values.map((v) => ofTypeMatch(v, sql, name))));
  if (modifier === 'identifier') return indexExists('token', identifierParam(name), sql, orJoin(values.map((v) => tokenMatch(v, sql))));
  const matchOne = (v: string): string => {
    switch (type) {
      case 'token':
        if (modifier === 'in' || modifier === 'not-in') return valueSetMatch(v, ctx.terminology, sql, `${name}:${modifier}`);
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
  // :not and :not-in also match resources with no value at all (R4 search.html#modifiers)
  if (type === 'token' && (modifier === 'not' || modifier === 'not-in')) return `NOT ${indexExists(table, name, sql, match)}`;
  return indexExists(table, name, sql, match);
}

function orJoin(parts: string[]): string {
  return parts.length === 1 ? parts[0] : `(${parts.map((p) => `(${p})`).join(' OR ')})`;
}

