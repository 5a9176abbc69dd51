import type { Handler } from '../fhir-request.js';
import { versionHeaders } from '../respond.js';

/** GET [type]/[id]/_history/[vid] */
export const vread: Handler = async (req, ctx) => {
  const v = await ctx.repo.vread(req.params.type, req.params.id, req.params.vid);
  return { status: 200, headers: versionHeaders(v, ctx.baseUrl, false), body: v };
};
