import fjp from 'fast-json-patch';
import type { Parameters, Resource } from '@medplum/fhirtypes';
import { badRequest, FhirError } from '../../fhir/outcome.js';
import { conditionQuery, withConditionalMatch } from '../conditional.js';
import type { FhirRequest, Handler, HandlerContext } from '../fhir-request.js';
import { parseVersionTag, writeResponse } from '../respond.js';
import type { Repository } from '../../repository/repository.js';
import { applyFhirPathPatch } from '../fhirpath-patch.js';

function isParameters(body: unknown): body is Parameters {
  return !!body && typeof body === 'object' && (body as { resourceType?: unknown }).resourceType === 'Parameters';
}

/**
 * PATCH [type]/[id] with a JSON Patch document (application/json-patch+json) or a FHIRPath
 * Patch (a Parameters resource, application/fhir+json).
 */
export const patch: Handler = async (req, ctx) => patchOne(req, ctx, ctx.repo, req.params.type, req.params.id);

/** PATCH [type]?criteria: exactly one match is patched; none is 404, several 412. */
export const conditionalPatch: Handler = async (req, ctx) => {
  const type = req.params.type;
  const criteria = conditionQuery(req.query.toString());
  return withConditionalMatch(ctx, type, criteria, async (repo, match) => {
    if (!match) throw new FhirError('not-found', `No ${type} matches the criteria`);
    return patchOne(req, ctx, repo, type, match.id);
  });
};

/**
 * Patches the current version through Repository.patch: concurrent patches apply one after the
 * other, each to the version the previous one left, instead of failing on each other's version.
 */
async function patchOne(req: FhirRequest, ctx: HandlerContext, repo: Repository, type: string, id: string) {
  const body = req.body;
  const fhirPathPatch = isParameters(body);
  if (!fhirPathPatch && !Array.isArray(body)) {
    throw badRequest('A patch body must be a JSON Patch array of operations or a FHIRPath Patch Parameters resource');
  }
  const ifMatch = req.headers.ifMatch ? parseVersionTag(req.headers.ifMatch, 'If-Match') : undefined;
  const stored = await repo.patch(type, id, ifMatch, (current) => {
    const patched = fhirPathPatch ? applyFhirPathPatch(current, body) : applyJsonPatch(current, body as unknown[]);
    if (patched.resourceType !== type) throw badRequest('A patch cannot change the resource type', ['resourceType']);
    if (patched.id !== id) throw badRequest('A patch cannot change the resource id', ['id']);
    return patched;
  });
  return writeResponse(req, 200, stored, ctx.baseUrl, `Patched ${type}/${id}`);
}

function applyJsonPatch(resource: Resource, operations: unknown[]): Resource {
  let problem: fjp.JsonPatchError | undefined;
  try {
    problem = fjp.validate(operations as fjp.Operation[], resource);
  } catch (err) {
    // fast-json-patch throws a plain TypeError for paths through __proto__ or constructor/prototype
    throw badRequest(`JSON Patch refused: ${(err as Error).message.split('\n')[0]}`);
  }
  if (problem) {
    const op = problem.operation as { op?: string; path?: string } | undefined;
    const expression = op?.path ? [op.path] : undefined;
    // A malformed operation is a bad request; a well-formed one that cannot apply to this
    // resource (failed test, missing path) is unprocessable.
    const malformed = /INVALID|REQUIRED|NOT_AN_ARRAY|NOT_AN_OBJECT/.test(problem.name);
    const message = `JSON Patch ${op?.op ?? ''} ${op?.path ?? ''} failed: ${problem.message.split('\n')[0]}`;
    throw new FhirError(malformed ? 'invalid' : 'processing', message.replace(/\s+/g, ' '), { expression });
  }
  try {
    return fjp.applyPatch(structuredClone(resource), operations as fjp.Operation[], false, false).newDocument;
  } catch (err) {
    throw new FhirError('processing', `JSON Patch failed: ${(err as Error).message.split('\n')[0]}`);
  }
}
