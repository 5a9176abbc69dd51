import { badRequest, FhirError } from '../fhir/outcome.js';
import type { Repository } from '../repository/repository.js';
import type { StoredVersion } from '../repository/stored.js';
import { search } from '../search/search.js';
import type { HandlerContext } from './fhir-request.js';

/** Parses the query of a conditional request ("identifier=x|y" or "Patient?identifier=..."). */
export function conditionQuery(raw: string): URLSearchParams {
  const q = raw.includes('?') ? raw.slice(raw.indexOf('?') + 1) : raw;
  const params = new URLSearchParams(q);
  if (![...params.keys()].length) throw badRequest('A conditional request needs search criteria');
  return params;
}

/**
 * Resources matching conditional criteria, at most two (enough to tell none, one and many).
 * Unknown parameters fail the request: ignoring one would widen the match.
 */
export async function conditionalMatches(
  ctx: HandlerContext,
  repo: Repository,
  resourceType: string,
  params: URLSearchParams,
): Promise<StoredVersion[]> {
  const p = new URLSearchParams(params);
  p.set('_count', '2');
  p.set('_total', 'none');
  const result = await search(
    { q: repo.queryable, tenant: repo.tenant, defs: ctx.defs, baseUrl: ctx.baseUrl },
    { resourceType, params: p, strict: true },
  );
  return result.entries;
}

/**
 * The common frame of a conditional write: one transaction, the criteria locked so concurrent
 * requests with the same criteria run one after the other, and the single match (or none)
 * handed to fn. Several matches answer 412 and change nothing.
 */
export async function withConditionalMatch<T>(
  ctx: HandlerContext,
  resourceType: string,
  criteria: URLSearchParams,
  fn: (repo: Repository, match: StoredVersion | undefined) => Promise<T>,
): Promise<T> {
  return ctx.repo.transaction(async (repo) => {
    await lockCriteria(repo, resourceType, criteria);
    const matches = await conditionalMatches(ctx, repo, resourceType, criteria);
    if (matches.length > 1) {
      throw new FhirError('multiple-matches', `The criteria ${criteria.toString()} matched more than one ${resourceType}; nothing was changed`);
    }
    return fn(repo, matches[0]);
  });
}

/** Serialises conditional writes on the same criteria within the current transaction. */
export async function lockCriteria(repo: Repository, resourceType: string, params: URLSearchParams): Promise<void> {
  const key = `${repo.tenant}|${resourceType}|${[...params].sort().map(([k, v]) => `${k}=${v}`).join('&')}`;
  await repo.queryable.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [key]);
}
