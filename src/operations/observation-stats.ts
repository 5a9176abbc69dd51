import type { Parameters, ParametersParameter } from '@medplum/fhirtypes';
import { searchContext, type Handler } from '../http/fhir-request.js';
import { computeStats, statsSources } from '../search/stats.js';
import { operationParams } from './operation-params.js';
import { parseStatsRequest } from './stats-input.js';
import { statisticsObservation, statisticsValueSet } from './stats-output.js';

/**
 * GET|POST Observation/$stats (R4 observation-operation-stats): for one subject, some codes and a
 * time window, a Parameters resource with one `statistics` Observation per code (per component
 * code for a panel), and with include=true the `source` Observations. Computed in PostgreSQL.
 */
export const observationStats: Handler = async (req, ctx) => {
  const params = operationParams(req);
  const searchCtx = searchContext(ctx);
  const allowed = searchCtx.terminology.codes(statisticsValueSet);
  const request = parseStatsRequest(params, ctx.baseUrl, ctx.repo.deps.clock(), allowed);
  const { query } = request;
  const { groups, conversions } = await computeStats(searchCtx, query);

  const parameter: ParametersParameter[] = [];
  const target = { subject: query.subject, period: request.period, statistics: request.statistics };
  // in request order; a requested code no value was found for still gets its (empty) statistics
  const answered = new Set(groups.flatMap((g) => g.requested));
  query.codings.forEach((coding, i) => {
    for (const g of groups) if (g.requested[0] === i) parameter.push({ name: 'statistics', resource: statisticsObservation({ ...target, coding: { system: g.system, code: g.code } }, g) });
    if (!answered.has(i)) parameter.push({ name: 'statistics', resource: statisticsObservation({ ...target, coding }, undefined) });
  });
  if (request.include) {
    for (const v of await statsSources(searchCtx, query, conversions, request.limit)) parameter.push({ name: 'source', resource: v.resource! });
  }
  const body: Parameters = { resourceType: 'Parameters', parameter };
  return { status: 200, body };
};
