import { badRequest } from '../fhir/outcome.js';
import { cursorBinding, decodeCursor, encodeCursor } from './cursor.js';
import { includeKeys } from './include.js';
import { fetchPage, type Page } from './keyset.js';
import { maxPageSize, pageParams } from './paging.js';
import type { SearchContext, SearchRequest, SearchResult, SearchWhere } from './search.js';
import { parseSort, sortColumns } from './sort.js';
import { countMatches, estimateMatches, totalMode } from './total.js';

/**
 * The result-shaping half of a search: _sort, the page (_count, and _cursor from the paging links;
 * _offset still works without a cursor), and _total, over the conditions of `found`.
 */
export async function searchPage(ctx: SearchContext, req: SearchRequest, found: SearchWhere): Promise<SearchResult> {
  const { sql, where, issues, applied, countSql } = found;
  const { count, offset } = pageParams(req.params, 20, req.maxCount ?? maxPageSize);
  const types = req.resourceTypes ?? [req.resourceType];
  const sort = parseSort(ctx, types, req.params.get('_sort'), req.strict, issues);
  const binding = cursorBinding(types, sort.keys);
  const rawCursor = req.params.get('_cursor');
  const cursor = rawCursor ? decodeCursor(rawCursor, binding, sort.keys) : undefined;
  if (cursor && offset) throw badRequest('_offset cannot be combined with _cursor', ['_offset']);
  const asked = totalMode(req.params, req.strict, issues);
  const summary = req.params.get('_summary');
  const mode = summary === 'count' ? 'accurate' : asked;

  const whereSql = where.join('\n   AND ');
  const whereParams = [...sql.params]; // the conditions' values, before the sort's and the page's
  let page: Page = { entries: [], more: false };
  if (summary !== 'count' && count > 0) {
    page = await fetchPage(ctx.q, sql, whereSql, sortColumns(sort.keys, ctx.tenant, types, sql), cursor, count, offset);
  }

  // A page read forwards has a next page when rows lie beyond it, and a previous one when it did
  // not start at the beginning; a page read backwards (a previous link) the other way round.
  const backwards = cursor?.before ?? false;
  const nextAt = backwards ? page.last : page.more ? page.last : undefined;
  const previousAt = backwards ? (page.more ? page.first : undefined) : cursor || offset > 0 ? page.first : undefined;
  const next = nextAt && encodeCursor({ before: false, ...nextAt }, binding);
  const previous = previousAt && encodeCursor({ before: true, ...previousAt }, binding);

  // the page holds every match when it is the first and nothing lies beyond it
  const complete = !cursor && !page.more && summary !== 'count' && count > 0 && (offset === 0 || page.entries.length > 0);
  let total: number | undefined;
  if (mode === 'accurate') {
    total = countSql
      ? (await ctx.q.query<{ n: number }>(countSql.text, countSql.params)).rows[0].n
      : await countMatches(ctx.q, whereSql, whereParams);
  } else if (mode !== 'none' && complete) total = offset + page.entries.length;
  else if (mode === 'estimate') {
    // never below what this page has already shown to exist
    const seen = (cursor ? 0 : offset) + page.entries.length + (page.more ? 1 : 0);
    total = Math.max(seen, await estimateMatches(ctx.q, whereSql, whereParams));
  }

  for (const k of ['_count', '_summary', '_elements']) {
    const v = req.params.get(k);
    if (v !== null && !applied.has(k)) applied.set(k, v);
  }
  if (sort.applied) applied.set('_sort', sort.applied);
  if (asked !== 'auto') applied.set('_total', asked);
  for (const k of includeKeys) for (const v of req.params.getAll(k)) applied.append(k, v);
  if (rawCursor) applied.set('_cursor', rawCursor);
  return { entries: page.entries, total, issues, count, offset, more: next !== undefined, next, previous, applied };
}
