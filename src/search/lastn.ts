import { badRequest } from '../fhir/outcome.js';
import { fromRecord, type StoredVersion, versionColumns, type VersionRecord } from '../repository/stored.js';
import { searchWhere, type SearchContext } from './search.js';
import { splitValues } from './split-values.js';
import { observationRowCondition } from './observation-search.js';
import { localReference } from './local-reference.js';
import type { SqlBuilder } from './sql-builder.js';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';

export interface LastnResult {
  /** Newest first within each group; groups in code order. */
  entries: StoredVersion[];
  issues: OperationOutcomeIssue[];
}

/** The inputs of $lastn that are not search parameters. */
export const lastnInputs = ['max'];

/**
 * Observation/$lastn: for one subject, the newest `max` Observations of each code group (ties
 * on the effective time kept, so a group may hold more), after every other search parameter
 * has filtered them. Codes group transitively: two codings that ever appear together on one
 * Observation of this subject are one group. Observations without an effective time cannot
 * be ranked and are not returned.
 */
export async function lastn(ctx: SearchContext, params: URLSearchParams, strict: boolean): Promise<LastnResult> {
  const max = parseMax(params.get('max'));
  const target = subjectOf(params, ctx.baseUrl);
  if (!params.has('category') && ![...params.keys()].some((k) => k === 'code' || k.startsWith('code:'))) {
    throw badRequest('$lastn needs a category or a code parameter');
  }
  // The subject, and the dates and categories (the same on every row of an Observation), are
  // matched on the observation_index row walked below; the rest filter as in a search.
  const onRow: ((b: SqlBuilder) => string)[] = [];
  const filters = new URLSearchParams();
  for (const pair of params) {
    if (lastnInputs.includes(pair[0]) || isSubjectKey(pair[0])) continue;
    const condition = pair[0] === 'code' ? undefined : observationRowCondition(pair, ctx.baseUrl);
    if (condition) onRow.push(condition);
    else filters.append(...pair);
  }
  const where = searchWhere(ctx, { resourceType: 'Observation', params: filters, strict });

  const sets = await ctx.q.query<{ codes: string[] }>(
    `WITH RECURSIVE sets(codes) AS (
       (SELECT codes FROM observation_index
         WHERE tenant = $1 AND target_id = $2 AND target_type = $3 AND codes IS NOT NULL ORDER BY codes LIMIT 1)
       UNION ALL
       SELECT (SELECT o.codes FROM observation_index o
                WHERE o.tenant = $1 AND o.target_id = $2 AND o.target_type = $3 AND o.codes IS NOT NULL AND o.codes > sets.codes
                ORDER BY o.codes LIMIT 1)
         FROM sets WHERE sets.codes IS NOT NULL)
     SELECT codes FROM sets WHERE codes IS NOT NULL`,
    [ctx.tenant, target.id, target.type],
    { prepare: true },
  );
  const groupOf = groupCodings(sets.rows.map((r) => r.codes));
  if (!groupOf.size) return { entries: [], issues: where.issues };

  const { sql } = where;
  const keys = [...groupOf.keys()];
  const codings = keys.map((k) => [k.slice(0, k.indexOf('|')) || null, k.slice(k.indexOf('|') + 1)]);
  const { rows } = await ctx.q.query<VersionRecord & { key: string; lo: Date }>(
    `SELECT c.key, x.* FROM unnest(${sql.add(codings.map((c) => c[0]))}::text[], ${sql.add(codings.map((c) => c[1]))}::text[],
                                    ${sql.add(keys)}::text[]) AS c(system, code, key)
     CROSS JOIN LATERAL (
       SELECT ${versionColumns}, s.lo
         FROM observation_index s
         JOIN resource r ON r.tenant = s.tenant AND r.resource_type = 'Observation' AND r.id = s.id
         JOIN resource_version v ON v.tenant = r.tenant AND v.resource_type = r.resource_type AND v.id = r.id AND v.version_id = r.version_id
        WHERE s.tenant = ${sql.add(ctx.tenant)} AND s.target_id = ${sql.add(target.id)} AND s.target_type = ${sql.add(target.type)}
          AND s.code = c.code AND s.system IS NOT DISTINCT FROM c.system AND s.lo IS NOT NULL
          AND ${[...onRow.map((c) => c(sql)), ...where.where].join('\n          AND ')}
        ORDER BY s.lo DESC
        FETCH FIRST (${sql.add(max)}::int) ROWS WITH TIES) x`,
    sql.params,
    { prepare: true },
  );

  // per group: newest first, the first `max`, then any tied with the last of them
  const byGroup = new Map<number, Map<string, VersionRecord & { lo: Date }>>();
  for (const row of rows) {
    const g = groupOf.get(row.key)!;
    if (!byGroup.has(g)) byGroup.set(g, new Map());
    byGroup.get(g)!.set(row.id, row);
  }
  const entries: StoredVersion[] = [];
  for (const g of [...byGroup.keys()].sort((a, b) => a - b)) {
    const sorted = [...byGroup.get(g)!.values()].sort((a, b) => b.lo.getTime() - a.lo.getTime() || a.id.localeCompare(b.id));
    const cutoff = sorted[Math.min(max, sorted.length) - 1].lo.getTime();
    for (const row of sorted) if (row.lo.getTime() >= cutoff) entries.push(fromRecord(row));
  }
  return { entries, issues: where.issues };
}

function parseMax(raw: string | null): number {
  if (raw === null) return 1;
  if (!/^[1-9]\d{0,3}$/.test(raw)) throw badRequest('$lastn max must be a positive integer (at most 9999)');
  return Number(raw);
}

const isSubjectKey = (k: string) => k === 'patient' || k === 'subject' || k.startsWith('subject:');

/** The one subject of a $lastn request, from patient or subject. */
function subjectOf(params: URLSearchParams, baseUrl: string): { type: string; id: string } {
  const given = [...params].filter(([k]) => isSubjectKey(k));
  if (given.length !== 1) throw badRequest('$lastn needs exactly one patient or subject parameter');
  const [key, raw] = given[0];
  const values = splitValues(raw);
  if (values.length !== 1) throw badRequest('$lastn answers for one subject at a time');
  const ref = localReference(values[0], baseUrl);
  const modifierType = key.startsWith('subject:') ? key.slice('subject:'.length) : undefined;
  const type = ref?.type ?? modifierType ?? (key === 'patient' ? 'Patient' : undefined);
  if (!ref || ref.versioned || !type || (key === 'patient' && type !== 'Patient') || (modifierType && modifierType !== type)) {
    throw badRequest(`$lastn cannot use ${key}=${raw}: give a local reference such as Patient/123`);
  }
  return { type, id: ref.id };
}

/** Union-find over codings that appear together: coding key → group number (ordered by key). */
function groupCodings(sets: string[][]): Map<string, number> {
  const parent = new Map<string, string>();
  const find = (k: string): string => {
    let p = parent.get(k)!;
    while (p !== parent.get(p)) p = parent.get(p)!;
    parent.set(k, p);
    return p;
  };
  for (const set of sets) {
    for (const k of set) if (!parent.has(k)) parent.set(k, k);
    for (const k of set.slice(1)) {
      const a = find(set[0]);
      const b = find(k);
      if (a !== b) parent.set(a < b ? b : a, a < b ? a : b);
    }
  }
  const numbers = new Map<string, number>();
  const out = new Map<string, number>();
  for (const k of [...parent.keys()].sort()) {
    const root = find(k);
    if (!numbers.has(root)) numbers.set(root, numbers.size);
    out.set(k, numbers.get(root)!);
  }
  return out;
}
