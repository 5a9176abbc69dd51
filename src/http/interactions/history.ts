import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import { dateRange } from '../../fhir/date-range.js';
import { badRequest, notFound } from '../../fhir/outcome.js';
import { fromRecord, versionColumns, type VersionRecord } from '../../repository/stored.js';
import { pageParams } from '../../search/paging.js';
import { SqlBuilder } from '../../search/sql-builder.js';
import { pageLinks } from '../bundle-links.js';
import type { Handler } from '../fhir-request.js';

/**
 * History at system, type and instance level: every version, newest first, with _since, _at,
 * _count and paging. The first page fixes a snapshot time (_till) that later pages keep, so
 * writes made while a client pages do not shift the pages.
 */
export const history: Handler = async (req, ctx) => {
  const { type, id } = req.params;
  const sql = new SqlBuilder();
  const where = [`v.tenant = ${sql.add(ctx.repo.tenant)}`];
  if (type) where.push(`v.resource_type = ${sql.add(type)}`);
  if (id) where.push(`v.id = ${sql.add(id)}`);

  const q = req.query;
  const till = q.get('_till') ?? ctx.repo.deps.clock().toISOString();
  if (Number.isNaN(Date.parse(till))) throw badRequest('_till must be an instant');
  where.push(`v.last_updated <= ${sql.add(till)}::timestamptz`);
  const since = q.get('_since');
  if (since) {
    const r = dateRange(since);
    if (!r) throw badRequest(`_since must be an instant, got "${since}"`);
    where.push(`v.last_updated >= ${sql.add(new Date(r.lo).toISOString())}::timestamptz`);
  }
  const at = q.get('_at');
  let atFilter = '';
  if (at) {
    const r = dateRange(at.replace(/^eq/, ''));
    if (!r) throw badRequest(`_at must be a date or instant, got "${at}"`);
    // a version was current during [lo, hi) when it started before hi and its successor (if any) after lo
    where.push(`v.last_updated < ${sql.add(new Date(r.hi).toISOString())}::timestamptz`);
    atFilter = `WHERE h.next_updated IS NULL OR h.next_updated > ${sql.add(new Date(r.lo).toISOString())}::timestamptz`;
  }
  const { count, offset } = pageParams(q, 50);

  if (id) await ctx.repo.current(type, id).then((v) => v ?? Promise.reject(notFound(`${type}/${id}`)));

  const nextUpdated = at
    ? `, lead(v.last_updated) OVER (PARTITION BY v.tenant, v.resource_type, v.id ORDER BY v.version_id) AS next_updated`
    : '';
  const versions = `SELECT ${versionColumns}${nextUpdated}
         FROM resource_version v WHERE ${where.join(' AND ')}`;
  const filterParams = [...sql.params];
  const { rows } = await ctx.repo.queryable.query<VersionRecord & { total: number }>(
    `SELECT h.*, count(*) OVER () AS total FROM (${versions}) h ${atFilter}
     ORDER BY h.last_updated DESC, h.resource_type, h.id, h.version_id DESC
     LIMIT ${sql.add(count)} OFFSET ${sql.add(offset)}`,
    sql.params,
  );
  let total = rows[0]?.total ?? 0;
  if (!rows.length && (count === 0 || offset > 0)) {
    // an empty page (_count=0, or past the end) carries no window count: count separately
    const counted = await ctx.repo.queryable.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (${versions}) h ${atFilter}`,
      filterParams,
    );
    total = counted.rows[0].n;
  }
  const entries: BundleEntry[] = rows.map((r) => {
    const v = fromRecord(r);
    const url = `${v.resourceType}/${v.id}`;
    return {
      fullUrl: `${ctx.baseUrl}/${url}`,
      ...(v.deleted ? {} : { resource: v.resource }),
      request: { method: v.method as 'POST', url: v.method === 'POST' ? v.resourceType : url },
      response: {
        status: v.deleted ? '204' : v.versionId === 1 ? '201' : '200',
        etag: v.etag,
        lastModified: v.lastUpdated,
      },
    };
  });
  const params = new URLSearchParams(q);
  params.set('_till', till);
  const path = [type, id, '_history'].filter(Boolean).join('/');
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'history',
    total,
    link: pageLinks(`${ctx.baseUrl}/${path}`, params, offset, count, count > 0 && offset + count < total),
    entry: entries,
  };
  return { status: 200, body: bundle };
};
