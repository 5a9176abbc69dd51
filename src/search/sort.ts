import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { badRequest } from '../fhir/outcome.js';
import type { SearchContext } from './search.js';
import type { SqlBuilder } from './sql-builder.js';
import { isRowParam, rowParams } from './row-params.js';

/** The PostgreSQL type of a sort value: how a value carried in a cursor is cast back. */
export type SortType = 'text' | 'numeric' | 'timestamptz';

/** One _sort key as requested and accepted, before any SQL is written. */
export interface SortKey {
  /** The parameter code, as in _sort. */
  name: string;
  desc: boolean;
  /** The index table holding the values (search_<table>), or undefined for a column of the resource row. */
  table?: string;
  /** The column of the resource row r, when table is undefined. */
  column?: string;
  type: SortType;
  /** Whether a resource can lack a value (index-table parameters); those sort last. */
  nullable: boolean;
}

/** A sort key with its SQL: the value expression and, for index tables, the LATERAL join computing it. */
export interface SortColumn extends SortKey {
  expr: string;
  join: string;
}

/** Without _sort: newest first, as before. */
const defaultSort: SortKey[] = [{ name: '_lastUpdated', desc: true, column: rowParams._lastUpdated, type: 'timestamptz', nullable: false }];

/**
 * Over several types an id is unique only within its type: the type comes before the id at the
 * end of the order (a key of its own, so cursors carry it).
 */
const typeKey: SortKey = { name: '_type', desc: false, column: 'r.resource_type', type: 'text', nullable: false };

const rowTypes: Record<string, SortType> = { _id: 'text', _lastUpdated: 'timestamptz' };

/**
 * The value a resource sorts by, per index table, from the rows of one parameter (R4 search.html,
 * _sort: a multi-valued parameter sorts ascending by its lowest value and descending by its
 * highest). `lo` is the aggregate when ascending, `hi` when descending.
 * - string: the normalised value (case and accents folded), as the parameter matches
 * - token: the code alone; the system is not part of the order, so equal codes from different
 *   systems tie and fall to the next key (and finally the id)
 * - date: ascending by the start of the earliest range, descending by the end of the latest
 *   (a day sorts after an instant within it when descending, an open-ended period first)
 * - number, quantity: the number; a quantity's unit is not considered (no UCUM conversion)
 * - reference: "Type/id" for local references, otherwise the absolute URL
 * - uri: the value
 */
const indexSort: Record<string, { type: SortType; lo: string; hi: string }> = {
  string: { type: 'text', lo: 'min(s.value)', hi: 'max(s.value)' },
  token: { type: 'text', lo: 'min(s.code)', hi: 'max(s.code)' },
  date: { type: 'timestamptz', lo: 'min(s.lo)', hi: 'max(s.hi)' },
  number: { type: 'numeric', lo: 'min(s.value)', hi: 'max(s.value)' },
  quantity: { type: 'numeric', lo: 'min(s.value)', hi: 'max(s.value)' },
  reference: {
    type: 'text',
    lo: "min(coalesce(s.target_type || '/' || s.target_id, s.url))",
    hi: "max(coalesce(s.target_type || '/' || s.target_id, s.url))",
  },
  uri: { type: 'text', lo: 'min(s.value)', hi: 'max(s.value)' },
};

/**
 * The keys of a _sort value ("-date,code"): the row parameters _id and _lastUpdated and every
 * parameter of the type held in an index table. A key that cannot be sorted on is reported as a
 * warning and left out, or refused under handling=strict. `applied` is the _sort value of the keys
 * kept, for links; undefined when the default order applies.
 */
export function parseSort(
  ctx: SearchContext,
  types: readonly string[],
  raw: string | null,
  strict: boolean,
  issues: OperationOutcomeIssue[],
): { keys: SortKey[]; applied?: string } {
  const tail = types.length > 1 ? [typeKey] : [];
  if (raw === null || raw === '') return { keys: [...defaultSort, ...tail] };
  const keys: SortKey[] = [];
  for (const part of raw.split(',')) {
    const text = part.trim();
    if (!text) continue;
    const desc = text.startsWith('-');
    const name = desc ? text.slice(1) : text;
    const key = sortKey(ctx, types, name, desc);
    if (typeof key === 'string') {
      const message = `Sorting by ${name || '(nothing)'} is not supported: ${key}`;
      if (strict) throw badRequest(message);
      issues.push({ severity: 'warning', code: 'not-supported', diagnostics: `${message}; it was ignored` });
      continue;
    }
    keys.push(key);
  }
  if (!keys.length) return { keys: [...defaultSort, ...tail] };
  return { keys: [...keys, ...tail], applied: keys.map((k) => (k.desc ? '-' : '') + k.name).join(',') };
}

/** A key on a row parameter, or on an indexed parameter that every type searched defines with one parameter type. */
function sortKey(ctx: SearchContext, types: readonly string[], name: string, desc: boolean): SortKey | string {
  if (isRowParam(name)) return { name, desc, column: rowParams[name], type: rowTypes[name] ?? 'text', nullable: false };
  const sps = types.map((t) => ctx.defs.searchParams.get(t)?.get(name));
  if (!name || sps.some((sp) => !sp?.expression)) return 'not an indexed parameter';
  const table = sps[0]?.type as string;
  if (sps.some((sp) => sp?.type !== table)) return 'its type differs between the types searched';
  const how = indexSort[table];
  if (!how) return `${table} parameters cannot be sorted on`;
  return { name, desc, table, type: how.type, nullable: true };
}

/**
 * The SQL of each key against the resource row r. An index-table key is a LATERAL aggregate over
 * that resource's rows of the parameter, found through the table's (tenant, resource_type, id)
 * index; tenant and type are bound values so PostgreSQL prunes to one partition when planning.
 * A resource without a value gets NULL, which sorts last in either direction (NULLS LAST on both
 * ascending and descending keys): R4 leaves the place of missing values open, and last keeps the
 * resources that have the value together at the start of the first page.
 */
export function sortColumns(keys: SortKey[], tenant: string, types: readonly string[], sql: SqlBuilder): SortColumn[] {
  return keys.map((k, i) => {
    if (!k.table) return { ...k, expr: k.column as string, join: '' };
    const how = indexSort[k.table];
    const alias = `k${i}`;
    // one type: a bound value, which prunes partitions; several (system search): the row's own
    const type = types.length === 1 ? sql.add(types[0]) : 'r.resource_type';
    const join = `CROSS JOIN LATERAL (SELECT ${k.desc ? how.hi : how.lo} AS v FROM search_${k.table} s
             WHERE s.tenant = ${sql.add(tenant)} AND s.resource_type = ${type} AND s.id = r.id
               AND s.param = ${sql.add(k.name)}) ${alias}`;
    return { ...k, expr: `${alias}.v`, join };
  });
}
