import type { Queryable } from '../db/database.js';
import { indexTables, type IndexRows } from '../search/index-values.js';
import { observationRows } from '../search/observation-rows.js';

export interface VersionRow {
  tenant: string;
  resourceType: string;
  id: string;
  versionId: number;
  lastUpdated: string;
  deleted: boolean;
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  content: string | null;
}

/** The columns of each index table, in IndexRows order; a suffix names the cast from text. */
export const indexColumns: Record<(typeof indexTables)[number], string[]> = {
  token: ['param', 'system', 'code', 'text'],
  string: ['param', 'value', 'exact'],
  date: ['param', 'lo::timestamptz', 'hi::timestamptz'],
  reference: ['param', 'target_type', 'target_id', 'url'],
  number: ['param', 'value::numeric'],
  quantity: ['param', 'value::numeric', 'system', 'code', 'unit', 'canonical_value::numeric', 'canonical_code'],
  uri: ['param', 'value'],
  composite: ['param', 'system', 'code', 'v_system', 'v_code', 'v_value::numeric', 'v_unit', 'v_canonical_value::numeric', 'v_canonical_code',
    'v_lo::timestamptz', 'v_hi::timestamptz', 'v_string', 'v_exact'],
};

/**
 * Writes one version in a single statement: the current-version row, the version row and the
 * search index rows (old ones deleted when the resource existed). Data-modifying CTEs share one
 * snapshot, so the deletes see only the previous rows. A concurrent writer of the same version
 * hits the resource_version primary key, and the whole statement fails with nothing written.
 */
export async function writeVersion(q: Queryable, row: VersionRow, index: IndexRows | null, existed: boolean, outbox = true): Promise<void> {
  const params: unknown[] = [row.tenant, row.resourceType, row.id, row.versionId, row.lastUpdated, row.deleted, row.method, row.content];
  const ctes: string[] = [
    existed
      ? `cur AS (UPDATE resource SET version_id = $4, last_updated = $5, deleted = $6
                 WHERE tenant = $1 AND resource_type = $2 AND id = $3 AND version_id = $4 - 1)`
      : `cur AS (INSERT INTO resource (tenant, resource_type, id, version_id, last_updated, deleted)
                 VALUES ($1, $2, $3, $4, $5, $6))`,
    `ver AS (INSERT INTO resource_version (tenant, resource_type, id, version_id, last_updated, deleted, method, content)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8))`,
  ];
  for (const table of indexTables) {
    if (existed) {
      ctes.push(`d_${table} AS (DELETE FROM search_${table} WHERE tenant = $1 AND resource_type = $2 AND id = $3)`);
    }
    const rows = index?.[table] ?? [];
    if (!rows.length) continue;
    const cols = indexColumns[table];
    const refs = cols.map((c, i) => {
      params.push(rows.map((r) => r[i]));
      const [name, cast] = c.split('::');
      return { name, expr: `$${params.length}::text[]`, cast };
    });
    const unnest = `unnest(${refs.map((r) => r.expr).join(', ')}) AS u(${refs.map((r) => r.name).join(', ')})`;
    const select = refs.map((r) => (r.cast ? `u.${r.name}::${r.cast}` : `u.${r.name}`)).join(', ');
    ctes.push(
      `i_${table} AS (INSERT INTO search_${table} (tenant, resource_type, id, ${refs.map((r) => r.name).join(', ')})
                      SELECT $1, $2, $3, ${select} FROM ${unnest})`,
    );
  }
  if (row.resourceType === 'Observation') ctes.push(...observationCtes(params, index, existed));
  if (outbox) {
    // the outbox row for subscriptions, in the same statement as the version
    params.push(row.deleted ? 'delete' : existed ? 'update' : 'create');
    ctes.push(`evt AS (INSERT INTO resource_event (tenant, resource_type, id, version_id, action) VALUES ($1, $2, $3, $4, $${params.length}))`);
  }
  await q.query(`WITH ${ctes.join(',\n')} SELECT 1`, params, { prepare: true });
}

/** Observation's denormalised search rows (see migration 003), replaced like the index rows. */
function observationCtes(params: unknown[], index: IndexRows | null, existed: boolean): string[] {
  const ctes = existed ? ['d_obs AS (DELETE FROM observation_index WHERE tenant = $1 AND id = $3)'] : [];
  if (!index) return ctes;
  const o = observationRows(index);
  const at = (v: unknown) => `$${params.push(v)}`;
  ctes.push(
    `i_obs AS (INSERT INTO observation_index (tenant, id, target_type, target_id, system, code, codes, categories, lo, hi)
               SELECT $1, $3, ${at(o.targetType)}::text, ${at(o.targetId)}::text, u.system, u.code,
                      CASE WHEN u.n = 1 THEN ${at(o.codeSet)}::text[] END, ${at(o.categories)}::text[],
                      ${at(o.lo)}::timestamptz, ${at(o.hi)}::timestamptz
                 FROM unnest(${at(o.systems)}::text[], ${at(o.codes)}::text[]) WITH ORDINALITY AS u(system, code, n))`,
  );
  return ctes;
}
