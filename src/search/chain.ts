import type { SearchContext } from './search.js';
import type { SqlBuilder } from './sql-builder.js';

/** Builds the condition for one parameter key on one resource type (the search's own entry point). */
export type KeyCondition = (ctx: SearchContext, resourceType: string, key: string, raw: string, sql: SqlBuilder) => string | { reason: string };

/** Resources of a type, restricted by a condition on the row alias r: the inner query of chains and _has. */
function idsWhere(ctx: SearchContext, resourceType: string, condition: string, sql: SqlBuilder): string {
  return `SELECT r.id FROM resource r WHERE r.tenant = ${sql.add(ctx.tenant)} AND r.resource_type = ${sql.add(resourceType)}
            AND NOT r.deleted AND ${condition}`;
}

/**
 * A chained parameter, `subject:Patient.name=x` or `subject.name=x` (R4 search.html#chaining):
 * the reference must point at a resource that matches the rest of the chain. Without a type, every
 * target type of the reference parameter that knows the rest is tried.
 */
export function chainCondition(ctx: SearchContext, resourceType: string, key: string, raw: string, sql: SqlBuilder, next: KeyCondition): string | { reason: string } {
  const dot = key.indexOf('.');
  const [param, type] = key.slice(0, dot).split(':');
  const rest = key.slice(dot + 1);
  const sp = ctx.defs.searchParams.get(resourceType)?.get(param);
  if (!sp || sp.type !== 'reference') return { reason: `${param} is not a reference parameter of ${resourceType}, so it cannot be chained` };
  const targets = type ? [type] : (sp.target ?? []).filter((t) => ctx.defs.resourceTypes.has(t));
  if (type && !(sp.target ?? []).includes(type as never)) return { reason: `${param} cannot refer to ${type}` };
  const branches: string[] = [];
  let lastReason = 'no target type';
  for (const target of targets) {
    const inner = next(ctx, target, rest, raw, sql);
    if (typeof inner !== 'string') {
      lastReason = inner.reason;
      continue;
    }
    branches.push(`(s.target_type = ${sql.add(target)} AND s.target_id IN (${idsWhere(ctx, target, inner, sql)}))`);
  }
  if (!branches.length) return { reason: `no target of ${param} supports ${rest}: ${lastReason}` };
  return `EXISTS (SELECT 1 FROM search_reference s WHERE s.tenant = r.tenant AND s.resource_type = r.resource_type
            AND s.id = r.id AND s.param = ${sql.add(param)} AND (${branches.join(' OR ')}))`;
}

/**
 * Reverse chaining, `_has:Observation:patient:code=x` (R4 search.html#has): some resource of
 * the named type refers to this one through the parameter and matches the rest, which may itself
 * be another _has.
 */
export function hasCondition(ctx: SearchContext, resourceType: string, key: string, raw: string, sql: SqlBuilder, next: KeyCondition): string | { reason: string } {
  const [, type, param, ...restParts] = key.split(':');
  const rest = restParts.join(':');
  if (!type || !param || !rest) return { reason: '_has takes the form _has:Type:reference:parameter' };
  if (!ctx.defs.resourceTypes.has(type)) return { reason: `unknown resource type ${type}` };
  const sp = ctx.defs.searchParams.get(type)?.get(param);
  if (!sp || sp.type !== 'reference') return { reason: `${param} is not a reference parameter of ${type}` };
  if (sp.target && !sp.target.includes(resourceType as never)) return { reason: `${type}.${param} cannot refer to ${resourceType}` };
  const inner = next(ctx, type, rest, raw, sql);
  if (typeof inner !== 'string') return inner;
  return `EXISTS (SELECT 1 FROM search_reference s WHERE s.tenant = r.tenant AND s.resource_type = ${sql.add(type)}
            AND s.param = ${sql.add(param)} AND s.target_type = r.resource_type AND s.target_id = r.id
            AND s.id IN (${idsWhere(ctx, type, inner, sql)}))`;
}
