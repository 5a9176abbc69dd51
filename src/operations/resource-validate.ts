import type { OperationOutcome, Parameters, Resource } from '@medplum/fhirtypes';
import { badRequest } from '../fhir/outcome.js';
import type { Handler } from '../http/fhir-request.js';

/**
 * $validate on [type] and [type]/[id] (R4 resource-validate). Answers 200 with an
 * OperationOutcome listing every issue; the resource is never stored.
 */
export const resourceValidate: Handler = async (req, ctx) => {
  const { type, id } = req.params;
  let resource: Resource | undefined;
  let mode: string | undefined = req.query.get('mode') ?? undefined;
  let profile: string | undefined = req.query.get('profile') ?? undefined;
  const body = req.body as Resource | undefined;
  if (body !== undefined && (!body || typeof body !== 'object' || Array.isArray(body))) {
    throw badRequest('$validate takes a resource or a Parameters resource in the body');
  }
  if (body?.resourceType === 'Parameters') {
    const params = Array.isArray((body as Parameters).parameter) ? ((body as Parameters).parameter ?? []) : [];
    resource = params.find((p) => p?.name === 'resource')?.resource;
    mode = params.find((p) => p?.name === 'mode')?.valueCode ?? mode;
    profile = params.find((p) => p?.name === 'profile')?.valueUri ?? profile;
  } else if (body) {
    resource = body;
  }
  if (mode && !['create', 'update', 'delete'].includes(mode)) throw badRequest(`Unknown $validate mode "${mode}"`);
  if (!resource && id && req.method === 'GET') resource = (await ctx.repo.read(type, id)).resource;
  if (mode === 'delete') {
    if (!id) throw badRequest('$validate mode=delete needs a resource id');
    await ctx.repo.read(type, id);
    return { status: 200, body: allOk() };
  }
  if (!resource || typeof resource !== 'object') throw badRequest('$validate needs a resource in the body');
  if (resource.resourceType !== type) {
    throw badRequest(`The resource type ${resource.resourceType} does not match the URL's ${type}`, ['resourceType']);
  }
  if (id && resource.id !== undefined && resource.id !== id) {
    throw badRequest(`The resource id "${resource.id}" does not match the URL's "${id}"`, ['id']);
  }
  if (mode === 'update' && !resource.id) throw badRequest('$validate mode=update needs the resource id', ['id']);
  const issues = ctx.validator.issues(resource, profile ? [profile] : []);
  const outcome: OperationOutcome = issues.length ? { resourceType: 'OperationOutcome', issue: issues } : allOk();
  return { status: 200, body: outcome };
};

function allOk(): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', diagnostics: 'All OK' }] };
}
