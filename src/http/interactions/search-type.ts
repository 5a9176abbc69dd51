import { FhirError } from '../../fhir/outcome.js';
import { search } from '../../search/search.js';
import { searchLinks } from '../bundle-links.js';
import { searchContext, type Handler } from '../fhir-request.js';
import { isStrict, searchParams, searchset } from '../searchset.js';

/** GET [type]?params, POST [type]/_search (form body merged with the query), and compartment search by GET or POST (.../[type]/_search). */
export const searchType: Handler = async (req, ctx) => {
  // [compartment type]/[id]/[type] searches the members of one compartment (Patient/1/Observation)
  const compartment = req.params.memberType ? { type: req.params.type, id: req.params.id } : undefined;
  const type = req.params.memberType ?? req.params.type;
  if (!ctx.defs.resourceTypes.has(type)) throw new FhirError('not-supported', `Unknown resource type "${type}"`, { status: 404 });
  const path = compartment ? `${compartment.type}/${compartment.id}/${type}` : type;
  const params = searchParams(req);
  const strict = isStrict(req);
  const result = await search(searchContext(ctx), { resourceType: type, params, strict, compartment });
  return { status: 200, body: await searchset(ctx, params, strict, result, searchLinks(`${ctx.baseUrl}/${path}`, result)) };
};
