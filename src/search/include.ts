import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { badRequest } from '../fhir/outcome.js';
import { currentVersionJoin, fromRecord, type StoredVersion, versionColumns, type VersionRecord } from '../repository/stored.js';
import type { SearchContext } from './search.js';

/** One _include or _revinclude directive: source type, its reference parameters, an optional target type. */
interface Directive {
  rev: boolean;
  iterate: boolean;
  source: string;
  params: string[];
  target?: string;
  text: string;
}

export const includeKeys = ['_include', '_revinclude', '_include:iterate', '_revinclude:iterate'];
const maxRounds = 4;
const maxIncluded = 1000;

/**
 * Resources named by _include (what the matches reference) and _revinclude (what references the
 * matches), for search.mode = include. :iterate directives apply again to what was included, up
 * to a few rounds. Directives that cannot be honoured are reported (400 when strict).
 */
export async function findIncludes(
  ctx: SearchContext,
  matches: StoredVersion[],
  params: URLSearchParams,
  strict: boolean,
  issues: OperationOutcomeIssue[],
): Promise<StoredVersion[]> {
  const directives: Directive[] = [];
  for (const [key, value] of params) {
    if (!includeKeys.includes(key)) continue;
    const d = parseDirective(ctx, key, value);
    if (typeof d === 'string') {
      if (strict) throw badRequest(d);
      issues.push({ severity: 'warning', code: 'not-supported', diagnostics: `${d}; it was ignored` });
    } else directives.push(d);
  }
  if (!directives.length || !matches.length) return [];
  const seen = new Set(matches.map(key));
  const included: StoredVersion[] = [];
  let frontier = matches;
  for (let round = 0; round < maxRounds && frontier.length && included.length < maxIncluded; round++) {
    const found: StoredVersion[] = [];
    for (const d of directives.filter((d) => round === 0 || d.iterate)) {
      for (const v of await apply(ctx, d, frontier)) {
        if (seen.has(key(v)) || included.length + found.length >= maxIncluded) continue;
        seen.add(key(v));
        found.push(v);
      }
    }
    included.push(...found);
    frontier = found;
  }
  return included;
}

const key = (v: StoredVersion) => `${v.resourceType}/${v.id}`;

function parseDirective(ctx: SearchContext, key: string, value: string): Directive | string {
  const [source, param, target] = value.split(':');
  const rev = key.startsWith('_revinclude');
  if (!source || !param) return `${key}=${value} must be Type:parameter[:TargetType]`;
  if (!ctx.defs.resourceTypes.has(source)) return `${key}=${value} names an unknown resource type ${source}`;
  if (target && !ctx.defs.resourceTypes.has(target)) return `${key}=${value} names an unknown target type ${target}`;
  const all = [...(ctx.defs.searchParams.get(source)?.values() ?? [])].filter((sp) => sp.type === 'reference');
  const params = param === '*' ? all.map((sp) => sp.code as string) : all.filter((sp) => sp.code === param).map((sp) => sp.code as string);
  if (!params.length) return `${key}=${value}: ${source} has no reference parameter ${param}`;
  return { rev, iterate: key.endsWith(':iterate'), source, params, target, text: `${key}=${value}` };
}

async function apply(ctx: SearchContext, d: Directive, from: StoredVersion[]): Promise<StoredVersion[]> {
  if (!d.rev) {
    const ids = from.filter((v) => v.resourceType === d.source).map((v) => v.id);
    if (!ids.length) return [];
    const { rows } = await ctx.q.query<{ target_type: string; target_id: string }>(
      `SELECT DISTINCT s.target_type, s.target_id FROM search_reference s
        WHERE s.tenant = $1 AND s.resource_type = $2 AND s.id = ANY($3::text[]) AND s.param = ANY($4::text[])
          AND s.target_id IS NOT NULL AND ($5::text IS NULL OR s.target_type = $5)`,
      [ctx.tenant, d.source, ids, d.params, d.target ?? null],
    );
    return readMany(ctx, rows.map((r) => [r.target_type, r.target_id]));
  }
  const byType = new Map<string, string[]>();
  for (const v of from) {
    if (d.target && v.resourceType !== d.target) continue;
    byType.set(v.resourceType, [...(byType.get(v.resourceType) ?? []), v.id]);
  }
  const out: StoredVersion[] = [];
  for (const [targetType, ids] of byType) {
    const { rows } = await ctx.q.query<{ id: string }>(
      `SELECT DISTINCT s.id FROM search_reference s
        WHERE s.tenant = $1 AND s.resource_type = $2 AND s.param = ANY($3::text[]) AND s.target_type = $4 AND s.target_id = ANY($5::text[])`,
      [ctx.tenant, d.source, d.params, targetType, ids],
    );
    out.push(...(await readMany(ctx, rows.map((r) => [d.source, r.id]))));
  }
  return out;
}

/** The current, not deleted, versions of the given Type/id pairs. */
async function readMany(ctx: SearchContext, refs: [string, string][]): Promise<StoredVersion[]> {
  if (!refs.length) return [];
  const { rows } = await ctx.q.query<VersionRecord>(
    `SELECT ${versionColumns}
       FROM unnest($2::text[], $3::text[]) AS want(resource_type, id)
       JOIN resource r ON r.tenant = $1 AND r.resource_type = want.resource_type AND r.id = want.id AND NOT r.deleted
       ${currentVersionJoin}
      ORDER BY v.resource_type, v.id`,
    [ctx.tenant, refs.map((r) => r[0]), refs.map((r) => r[1])],
  );
  return rows.map(fromRecord);
}
