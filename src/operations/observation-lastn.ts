import { lastn } from '../search/lastn.js';
import { searchContext, type Handler } from '../http/fhir-request.js';
import { isStrict, searchset } from '../http/searchset.js';
import { operationParams } from './operation-params.js';

/** GET|POST Observation/$lastn: a searchset of the newest Observations per code for one subject. */
export const observationLastn: Handler = async (req, ctx) => {
  const params = operationParams(req);
  const strict = isStrict(req);
  const result = await lastn(searchContext(ctx), params, strict);
  const link = [{ relation: 'self', url: `${ctx.baseUrl}/Observation/$lastn?${params}` }];
  return { status: 200, body: await searchset(ctx, params, strict, { ...result, total: result.entries.length }, link) };
};
