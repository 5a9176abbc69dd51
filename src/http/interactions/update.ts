import { badRequest, FhirError } from '../../fhir/outcome.js';
import { idPattern } from '../../repository/repository.js';
import { conditionQuery, withConditionalMatch } from '../conditional.js';
import type { Handler } from '../fhir-request.js';
import { bodyResource, parseVersionTag, writeResponse } from '../respond.js';

/** PUT [type]/[id]: update, or create with the client's id. If-Match makes it version-aware. */
export const update: Handler = async (req, ctx) => {
  const { type, id } = req.params;
  const resource = bodyResource(req, type, id);
  const ifMatch = req.headers.ifMatch ? parseVersionTag(req.headers.ifMatch, 'If-Match') : undefined;
  const { stored, created } = await ctx.repo.update(resource, id, ifMatch);
  return writeResponse(req, created ? 201 : 200, stored, ctx.baseUrl, `${created ? 'Created' : 'Updated'} ${type}/${id}`);
};

/** PUT [type]?criteria: no match creates, one match updates, several fail with 412. */
export const conditionalUpdate: Handler = async (req, ctx) => {
  const type = req.params.type;
  const criteria = conditionQuery(req.query.toString());
  return withConditionalMatch(ctx, type, criteria, async (repo, match) => {
    const body = bodyResource(req, type);
    let id: string;
    if (match) {
      id = match.id;
      if (body.id !== undefined && body.id !== id) {
        throw badRequest(`The resource id "${body.id}" differs from the matched ${type}/${id}`, ['id']);
      }
    } else {
      id = body.id ?? ctx.repo.deps.newId();
      if (!idPattern.test(id)) throw badRequest(`Invalid id "${id}"`, ['id']);
      // With no match, an id in the body asks for update-as-create; overwriting a live resource
      // the criteria did not select would be neither (R5 http.html#cond-update makes this 409).
      const existing = body.id === undefined ? undefined : await repo.current(type, id);
      if (existing && !existing.deleted) {
        throw new FhirError('conflict', `${type}/${id} exists but does not match the criteria; nothing was written`);
      }
    }
    const resource = { ...body, id };
    const ifMatch = req.headers.ifMatch ? parseVersionTag(req.headers.ifMatch, 'If-Match') : undefined;
    const { stored, created } = await repo.update(resource, id, ifMatch);
    return writeResponse(req, created ? 201 : 200, stored, ctx.baseUrl, `${created ? 'Created' : 'Updated'} ${type}/${id}`);
  });
};
