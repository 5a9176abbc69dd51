import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import { badRequest, FhirError } from '../../fhir/outcome.js';
import { search } from '../../search/search.js';
import { findIncludes } from '../../search/include.js';
import { searchLinks } from '../bundle-links.js';
import { searchContext, type Handler } from '../fhir-request.js';
import { resourceShaper } from '../shape.js';

/** GET [type]?params, POST [type]/_search (form body merged with the query), and compartment search by GET or POST (.../[type]/_search). */
export const searchType: Handler = async (req, ctx) => {
  // [compartment type]/[id]/[type] searches the members of one compartment (Patient/1/Observation)
  const compartment = req.params.memberType ? { type: req.params.type, id: req.params.id } : undefined;
  const type = req.params.memberType ?? req.params.type;
  if (!ctx.defs.resourceTypes.has(type)) throw new FhirError('not-supported', `Unknown resource type "${type}"`, { status: 404 });
  const path = compartment ? `${compartment.type}/${compartment.id}/${type}` : type;
  const params = new URLSearchParams(req.query);
  if (req.method === 'POST') {
    if (req.contentType !== 'application/x-www-form-urlencoded' && req.body !== undefined) {
      throw badRequest('POST _search takes an application/x-www-form-urlencoded body');
    }
    for (const [k, v] of new URLSearchParams((req.body as string | undefined) ?? '')) params.append(k, v);
  }
  const strict = /handling=strict/.test(req.headers.prefer ?? '');
  const shape = resourceShaper(
    params.get('_summary') ?? undefined,
    params.get('_elements')?.split(',').map((e) => e.trim()).filter(Boolean),
  );
  const searchCtx = searchContext(ctx);
  const result = await search(searchCtx, { resourceType: type, params, strict, compartment });
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
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(result.total !== undefined ? { total: result.total } : {}),
    link: searchLinks(`${ctx.baseUrl}/${path}`, result),
    entry,
  };
  return { status: 200, body: bundle };
};
