import type { Bundle, BundleEntry, BundleLink, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { badRequest } from '../fhir/outcome.js';
import type { StoredVersion } from '../repository/stored.js';
import { findIncludes } from '../search/include.js';
import { formType } from './fhir-body.js';
import { searchContext, type FhirRequest, type HandlerContext } from './fhir-request.js';
import { resourceShaper } from './shape.js';

/** Prefer: handling=strict: unknown or unsupported search parameters are errors, not warnings. */
export const isStrict = (req: FhirRequest): boolean => /handling=strict/.test(req.headers.prefer ?? '');

/** The parameters of a search: the query, plus for POST a form body (search.html#search). */
export function searchParams(req: FhirRequest): URLSearchParams {
  const params = new URLSearchParams(req.query);
  if (req.method === 'POST') {
    if (req.contentType !== formType && req.body !== undefined) throw badRequest(`POST _search takes an ${formType} body`);
    for (const [k, v] of new URLSearchParams((req.body as string | undefined) ?? '')) params.append(k, v);
  }
  return params;
}

/** What a search found, for its searchset Bundle. */
export interface Found {
  entries: StoredVersion[];
  issues: OperationOutcomeIssue[];
  total?: number;
}

/**
 * The searchset Bundle of a search: the matches, what _include and _revinclude add to them,
 * each shaped by _summary and _elements, and an outcome entry for anything ignored.
 */
export async function searchset(ctx: HandlerContext, params: URLSearchParams, strict: boolean, found: Found, link: BundleLink[]): Promise<Bundle> {
  const shape = resourceShaper(
    params.get('_summary') ?? undefined,
    params.get('_elements')?.split(',').map((e) => e.trim()).filter(Boolean),
  );
  const included = await findIncludes(searchContext(ctx), found.entries, params, strict, found.issues);
  const entry: BundleEntry[] = [
    ...found.entries.map((v) => ({ v, mode: 'match' as const })),
    ...included.map((v) => ({ v, mode: 'include' as const })),
  ].map(({ v, mode }) => ({
    fullUrl: `${ctx.baseUrl}/${v.resourceType}/${v.id}`,
    resource: shape(v.resource as Resource),
    search: { mode },
  }));
  if (found.issues.length) {
    entry.push({ resource: { resourceType: 'OperationOutcome', issue: found.issues }, search: { mode: 'outcome' } });
  }
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(found.total !== undefined ? { total: found.total } : {}),
    link,
    entry,
  };
}
