import { conditionQuery, withConditionalMatch } from '../conditional.js';
import type { Handler } from '../fhir-request.js';
import { bodyResource, versionHeaders, writeResponse, returnPreference, info } from '../respond.js';

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
    if (existing) {
      const pref = returnPreference(req);
      const headers = versionHeaders(existing, ctx.baseUrl, true);
      if (pref === 'minimal') return { status: 200, headers };
      if (pref === 'OperationOutcome') return { status: 200, headers, body: info(`${type}/${existing.id} already exists`) };
      return { status: 200, headers, body: existing };
    }
    const stored = await repo.create(resource);
    return writeResponse(req, 201, stored, ctx.baseUrl, `Created ${type}/${stored.id}`);
  });
};
