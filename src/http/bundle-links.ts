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
