import { FhirError } from '../fhir/outcome.js';
import { idPattern } from '../repository/repository.js';
import type { FhirRequest, FhirResponse, HandlerContext } from './fhir-request.js';
import { matchRoute } from './routes.js';

/** Routes one FHIR request through the route table: the one entry point for HTTP and batch entries. */
export async function dispatch(req: FhirRequest, ctx: HandlerContext): Promise<FhirResponse> {
  const match = matchRoute(req.method, req.path);
  if ('methodAllowed' in match) {
    if (match.pathKnown) throw new FhirError('not-supported', `${req.method} is not supported on /${req.path}`, { status: 405 });
    throw new FhirError('not-found', `No FHIR endpoint at /${req.path}`, { status: 404 });
  }
  const { type, id, vid } = match.params;
  if (type !== undefined && !ctx.defs.resourceTypes.has(type)) {
    throw new FhirError('not-supported', `Unknown resource type "${type}"`, { status: 404 });
  }
  if (id !== undefined && !idPattern.test(id)) {
    throw new FhirError('invalid', `Invalid resource id "${id}"`, { expression: ['id'] });
  }
  if (vid !== undefined && !/^\d{1,15}$/.test(vid)) {
    throw new FhirError('not-found', `${type}/${id}/_history/${vid} not found`);
  }
  return match.route.handler({ ...req, params: match.params }, ctx);
}
