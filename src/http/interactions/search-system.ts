import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import { badRequest } from '../../fhir/outcome.js';
import { search } from '../../search/search.js';
import { findIncludes } from '../../search/include.js';
import { searchLinks } from '../bundle-links.js';
import { formType } from '../fhir-body.js';
import { searchContext, type Handler } from '../fhir-request.js';
import { resourceShaper } from '../shape.js';

/**
 * GET [base]?_type=A,B&params and POST [base]/_search (R4 search.html#all): one search over
 * several resource types, or over every type when _type is absent. Only parameters common to all
 * the types searched apply (the Resource-level ones, or one that each type defines with the same
 * type); others are reported like in a type-level search, or refused under Prefer: handling=strict.
 */
export const searchSystem: Handler = async (req, ctx) => {
  const params = new URLSearchParams(req.query);
  if (req.method === 'POST') {
    if (req.contentType !== formType && req.body !== undefined) throw badRequest(`POST _search takes an ${formType} body`);
    for (const [k, v] of new URLSearchParams((req.body as string | undefined) ?? '')) params.append(k, v);
  }
  const named = params.getAll('_type').flatMap((v) => v.split(',')).map((t) => t.trim()).filter(Boolean);
  params.delete('_type');
  const unknown = named.filter((t) => !ctx.defs.resourceTypes.has(t));
  if (unknown.length) throw badRequest(`_type names unknown resource types: ${unknown.join(', ')}`, ['_type']);
  const types = named.length ? [...new Set(named)] : [...ctx.defs.resourceTypes].sort();

  const strict = /handling=strict/.test(req.headers.prefer ?? '');
  const shape = resourceShaper(
    params.get('_summary') ?? undefined,
    params.get('_elements')?.split(',').map((e) => e.trim()).filter(Boolean),
  );
  const searchCtx = searchContext(ctx);
  const result = await search(searchCtx, {
    resourceType: types.length === 1 ? types[0] : named.length ? types.join(', ') : 'all resource types',
    ...(types.length > 1 ? { resourceTypes: types } : {}),
    params,
    strict,
  });
  const included = await findIncludes(searchCtx, result.entries, params, strict, result.issues);
  const entry: BundleEntry[] = [
    ...result.entries.map((v) => ({ v, mode: 'match' as const })),
    ...included.map((v) => ({ v, mode: 'include' as const })),
  ].map(({ v, mode }) => ({
    fullUrl: `${ctx.baseUrl}/${v.resourceType}/${v.id}`,
    resource: shape(v.resource as Resource),
    search: { mode },
  }));
  if (result.issues.length) {
    entry.push({ resource: { resourceType: 'OperationOutcome', issue: result.issues }, search: { mode: 'outcome' } });
  }
  // the links repeat _type, which the search itself does not see
  const applied = new URLSearchParams(named.length ? [['_type', types.join(',')], ...result.applied] : [...result.applied]);
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(result.total !== undefined ? { total: result.total } : {}),
    link: searchLinks(ctx.baseUrl, { ...result, applied }),
    entry,
  };
  return { status: 200, body: bundle };
};
