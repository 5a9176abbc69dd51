import type { Resource } from '@medplum/fhirtypes';
import { badRequest, FhirError } from '../fhir/outcome.js';
import { idPattern, type Repository } from '../repository/repository.js';
import type { StoredVersion } from '../repository/stored.js';
import { search } from '../search/search.js';
import { searchContext, type HandlerContext } from './fhir-request.js';

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
  const result = await search(searchContext(ctx, repo), { resourceType, params: p, strict: true });
  return result.entries;
}

/**
 * The single resource conditional criteria match, or undefined when none does. The criteria are
 * locked first (until the enclosing transaction ends), so concurrent writes with the same
 * criteria run one after the other and the second sees what the first wrote. Several matches
 * answer 412. repo must be bound to a transaction.
 */
export async function singleMatch(
  ctx: HandlerContext,
  repo: Repository,
  resourceType: string,
  criteria: URLSearchParams,
): Promise<StoredVersion | undefined> {
  await lockCriteria(repo, resourceType, criteria);
  const matches = await conditionalMatches(ctx, repo, resourceType, criteria);
  if (matches.length > 1) {
    throw new FhirError('multiple-matches', `The criteria ${criteria.toString()} matched more than one ${resourceType}; nothing was changed`);
  }
  return matches[0];
}

/**
 * The common frame of a conditional write: one transaction, the criteria locked and the single
 * match (or none) handed to fn. Several matches answer 412 and change nothing.
 */
export async function withConditionalMatch<T>(
  ctx: HandlerContext,
  resourceType: string,
  criteria: URLSearchParams,
  fn: (repo: Repository, match: StoredVersion | undefined) => Promise<T>,
): Promise<T> {
  return ctx.repo.transaction(async (repo) => fn(repo, await singleMatch(ctx, repo, resourceType, criteria)));
}

/**
 * The id a conditional update writes to. One match: its id, and a body id must agree (400).
 * No match: the body's id (update as create) or a new one; a body id naming a live resource the
 * criteria did not select is 409, since overwriting it would be neither an update of the match
 * nor a create (R5 http.html#cond-update).
 */
export async function conditionalTargetId(
  repo: Repository,
  resourceType: string,
  match: StoredVersion | undefined,
  body: Resource | undefined,
): Promise<string> {
  const bodyId: unknown = body?.id;
  if (match) {
    if (bodyId !== undefined && bodyId !== match.id) {
      throw badRequest(`The resource id "${String(bodyId)}" differs from the matched ${resourceType}/${match.id}`, ['id']);
    }
    return match.id;
  }
  if (bodyId === undefined) return repo.deps.newId();
  if (typeof bodyId !== 'string' || !idPattern.test(bodyId)) throw badRequest(`Invalid id "${String(bodyId)}"`, ['id']);
  const existing = await repo.current(resourceType, bodyId);
  if (existing && !existing.deleted) {
    throw new FhirError('conflict', `${resourceType}/${bodyId} exists but does not match the criteria; nothing was written`);
  }
  return bodyId;
}

/** Serialises conditional writes on the same criteria within the current transaction. */
export async function lockCriteria(repo: Repository, resourceType: string, params: URLSearchParams): Promise<void> {
  const key = `${repo.tenant}|${resourceType}|${[...params].sort().map(([k, v]) => `${k}=${v}`).join('&')}`;
  await repo.queryable.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [key]);
}
