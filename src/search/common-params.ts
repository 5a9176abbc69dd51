import type { SearchParameter } from '@medplum/fhirtypes';
import type { Definitions } from '../fhir/definitions.js';
import type { KeyCondition } from './chain.js';
import { isSearchable } from './modifiers.js';
import type { SearchContext } from './search.js';
import type { SqlBuilder } from './sql-builder.js';

/**
 * The condition for one parameter key in a search over several resource types (system-level
 * search, R4 search.html#all): only a parameter that every type defines, with the same parameter
 * type, is accepted. One that is the same definition for all (the Resource-level ones: _id,
 * _lastUpdated, _tag, _profile, _security, _source, _content) is built once; otherwise each type
 * gets its own condition, restricted to rows of that type. Chains and _has are built per type too.
 */
export function commonCondition(
  ctx: SearchContext,
  types: readonly string[],
  key: string,
  raw: string,
  sql: SqlBuilder,
  next: KeyCondition,
): string | { reason: string } {
  const plain = !key.startsWith('_has:') && !key.includes('.');
  if (plain) {
    const name = key.split(':')[0];
    const sps = types.map((t) => ctx.defs.searchParams.get(t)?.get(name));
    const missing = types.filter((_, i) => !sps[i] || !isSearchable(sps[i] as SearchParameter));
    if (missing.length) return { reason: `it is not a parameter of ${describe(missing)}` };
    const kinds = new Set(sps.map((sp) => sp?.type));
    if (kinds.size > 1) return { reason: `its type differs between the types searched (${[...kinds].join(', ')})` };
    if (sps.every((sp) => sp === sps[0])) return next(ctx, types[0], key, raw, sql);
  }
  const branches: string[] = [];
  const mark = sql.params.length;
  for (const type of types) {
    const condition = next(ctx, type, key, raw, sql);
    if (typeof condition !== 'string') {
      sql.params.length = mark; // the branches built so far are dropped, and their values with them
      return { reason: `on ${type}: ${condition.reason}` };
    }
    branches.push(`(r.resource_type = ${sql.add(type)} AND ${condition})`);
  }
  return `(${branches.join(' OR ')})`;
}

/** The search parameters that a search over all the given types accepts, by code. */
export function commonParams(defs: Definitions, types: readonly string[]): SearchParameter[] {
  const [first, ...rest] = types.map((t) => defs.searchParams.get(t));
  return [...(first?.values() ?? [])].filter(
    (sp) => isSearchable(sp) && rest.every((m) => m?.get(sp.code as string) && isSearchable(m.get(sp.code as string) as SearchParameter) && m.get(sp.code as string)?.type === sp.type),
  );
}

function describe(types: string[]): string {
  return types.length > 5 ? `${types.slice(0, 5).join(', ')} and ${types.length - 5} other types` : types.join(', ');
}
