import { conditionQuery, withConditionalMatch } from '../conditional.js';
import type { Handler } from '../fhir-request.js';
import { bodyResource, writeResponse } from '../respond.js';

/** POST [type], with If-None-Exist for conditional create. */
export const create: Handler = async (req, ctx) => {
  const type = req.params.type;
  const resource = bodyResource(req, type);
  if (!req.headers.ifNoneExist) {
    const stored = await ctx.repo.create(resource);
    return writeResponse(req, 201, stored, ctx.baseUrl, `Created ${type}/${stored.id}`);
  }
  const criteria = conditionQuery(req.headers.ifNoneExist);
  return withConditionalMatch(ctx, type, criteria, async (repo, existing) => {
    if (existing) return writeResponse(req, 200, existing, ctx.baseUrl, `${type}/${existing.id} already exists`);
    const stored = await repo.create(resource);
    return writeResponse(req, 201, stored, ctx.baseUrl, `Created ${type}/${stored.id}`);
  });
};
