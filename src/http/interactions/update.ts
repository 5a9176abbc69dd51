import { conditionalTargetId, conditionQuery, withConditionalMatch } from '../conditional.js';
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
    const id = await conditionalTargetId(repo, type, match, body);
    const resource = { ...body, id };
    const ifMatch = req.headers.ifMatch ? parseVersionTag(req.headers.ifMatch, 'If-Match') : undefined;
    const { stored, created } = await repo.update(resource, id, ifMatch);
    return writeResponse(req, created ? 201 : 200, stored, ctx.baseUrl, `${created ? 'Created' : 'Updated'} ${type}/${id}`);
  });
};
