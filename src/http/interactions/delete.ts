import { conditionQuery, withConditionalMatch } from '../conditional.js';
import type { Handler } from '../fhir-request.js';
import { info, parseVersionTag } from '../respond.js';

/**
 * DELETE [type]/[id]. The deletion is a new version kept in history; later reads answer 410.
 * Deleting something already deleted or never created is not an error (R4 http.html#delete).
 */
export const remove: Handler = async (req, ctx) => {
  const { type, id } = req.params;
  const ifMatch = req.headers.ifMatch ? parseVersionTag(req.headers.ifMatch, 'If-Match') : undefined;
  const deleted = await ctx.repo.delete(type, id, ifMatch);
  return { status: 200, body: info(deleted ? `Deleted ${type}/${id}` : `${type}/${id} did not exist or was already deleted`) };
};

/** DELETE [type]?criteria: deletes the one match; several matches are refused with 412. */
export const conditionalDelete: Handler = async (req, ctx) => {
  const type = req.params.type;
  const criteria = conditionQuery(req.query.toString());
  return withConditionalMatch(ctx, type, criteria, async (repo, match) => {
    if (!match) return { status: 200, body: info(`No ${type} matched; nothing to delete`) };
    await repo.delete(type, match.id);
    return { status: 200, body: info(`Deleted ${type}/${match.id}`) };
  });
};
