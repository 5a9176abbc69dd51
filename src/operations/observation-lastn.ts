import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import { lastn } from '../search/lastn.js';
import { findIncludes } from '../search/include.js';
import { searchContext, type Handler } from '../http/fhir-request.js';
import { resourceShaper } from '../http/shape.js';
import { operationParams } from './operation-params.js';

/** GET|POST Observation/$lastn: a searchset of the newest Observations per code for one subject. */
export const observationLastn: Handler = async (req, ctx) => {
  const params = operationParams(req);
  const strict = /handling=strict/.test(req.headers.prefer ?? '');
  const shape = resourceShaper(
    params.get('_summary') ?? undefined,
    params.get('_elements')?.split(',').map((e) => e.trim()).filter(Boolean),
  );
  const searchCtx = searchContext(ctx);
  const result = await lastn(searchCtx, params, strict);
  const included = await findIncludes(searchCtx, result.entries, params, strict, result.issues);
  const entry: BundleEntry[] = [
    ...result.entries.map((v) => ({ v, mode: 'match' as const })),
    ...included.map((v) => ({ v, mode: 'include' as const })),
  ].map(({ v, mode }) => ({ fullUrl: `${ctx.baseUrl}/${v.resourceType}/${v.id}`, resource: shape(v.resource!), search: { mode } }));
  if (result.issues.length) entry.push({ resource: { resourceType: 'OperationOutcome', issue: result.issues }, search: { mode: 'outcome' } });
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'searchset',
    total: result.entries.length,
    link: [{ relation: 'self', url: `${ctx.baseUrl}/Observation/$lastn?${params}` }],
    entry,
  };
  return { status: 200, body: bundle };
};
