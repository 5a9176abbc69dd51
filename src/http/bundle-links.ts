import type { BundleLink } from '@medplum/fhirtypes';

/** self / next / previous links for an offset-paged result. */
export function pageLinks(url: string, params: URLSearchParams, offset: number, count: number, hasNext: boolean): BundleLink[] {
  const at = (o: number) => {
    const p = new URLSearchParams(params);
    p.set('_count', String(count));
    if (o > 0) p.set('_offset', String(o));
    else p.delete('_offset');
    const q = p.toString();
    return q ? `${url}?${q}` : url;
  };
  const links: BundleLink[] = [{ relation: 'self', url: at(offset) }];
  if (hasNext) links.push({ relation: 'next', url: at(offset + count) });
  if (offset > 0) links.push({ relation: 'previous', url: at(Math.max(0, offset - count)) });
  return links;
}

/** What searchLinks needs of a search result. */
export interface PagedResult {
  applied: URLSearchParams;
  count: number;
  offset: number;
  next?: string;
  previous?: string;
}

/**
 * self / next / previous links of a searchset. Search pages by keyset: next and previous carry a
 * _cursor (the position of the last or first row of this page) instead of an offset, so writes
 * between requests do not shift pages. The self link repeats the request (its _cursor or _offset
 * included), so following it gives the same page again.
 */
export function searchLinks(url: string, result: PagedResult): BundleLink[] {
  const at = (cursor: string | undefined, offset: number) => {
    const p = new URLSearchParams(result.applied);
    p.set('_count', String(result.count));
    p.delete('_offset');
    p.delete('_cursor');
    if (offset > 0) p.set('_offset', String(offset));
    if (cursor) p.set('_cursor', cursor);
    return `${url}?${p.toString()}`;
  };
  const links: BundleLink[] = [{ relation: 'self', url: at(result.applied.get('_cursor') ?? undefined, result.offset) }];
  if (result.next) links.push({ relation: 'next', url: at(result.next, 0) });
  if (result.previous) links.push({ relation: 'previous', url: at(result.previous, 0) });
  return links;
}
