import { badRequest } from '../../fhir/outcome.js';
import { search } from '../../search/search.js';
import { searchLinks } from '../bundle-links.js';
import { searchContext, type Handler } from '../fhir-request.js';
import { isStrict, searchParams, searchset } from '../searchset.js';

/**
 * GET [base]?_type=A,B&params and POST [base]/_search (R4 search.html#all): one search over
 * several resource types, or over every type when _type is absent. Only parameters common to all
 * the types searched apply (the Resource-level ones, or one that each type defines with the same
 * type); others are reported like in a type-level search, or refused under Prefer: handling=strict.
 */
export const searchSystem: Handler = async (req, ctx) => {
  const params = searchParams(req);
  const named = params.getAll('_type').flatMap((v) => v.split(',')).map((t) => t.trim()).filter(Boolean);
  params.delete('_type');
  const unknown = named.filter((t) => !ctx.defs.resourceTypes.has(t));
  if (unknown.length) throw badRequest(`_type names unknown resource types: ${unknown.join(', ')}`, ['_type']);
  const types = named.length ? [...new Set(named)] : [...ctx.defs.resourceTypes].sort();

  const strict = isStrict(req);
  const result = await search(searchContext(ctx), {
    resourceType: types.length === 1 ? types[0] : named.length ? types.join(', ') : 'all resource types',
    ...(types.length > 1 ? { resourceTypes: types } : {}),
    params,
    strict,
  });
  // the links repeat _type, which the search itself does not see
  const applied = new URLSearchParams(named.length ? [['_type', types.join(',')], ...result.applied] : [...result.applied]);
  const link = searchLinks(ctx.baseUrl, { ...result, applied });
  return { status: 200, body: await searchset(ctx, params, strict, result, link) };
};
