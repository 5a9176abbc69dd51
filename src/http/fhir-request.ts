import type { Resource } from '@medplum/fhirtypes';
import type { Definitions } from '../fhir/definitions.js';
import type { Validator } from '../fhir/validator.js';
import type { Repository } from '../repository/repository.js';
import type { SearchContext } from '../search/search.js';
import type { StoredVersion } from '../repository/stored.js';

/** A FHIR interaction request, independent of Express, so batch entries use the same handlers. */
export interface FhirRequest {
  method: string;
  /** Path below the FHIR base, without leading slash or query, e.g. "Patient/1/_history". */
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  contentType?: string;
  headers: {
    ifMatch?: string;
    ifNoneMatch?: string;
    ifNoneExist?: string;
    ifModifiedSince?: string;
    prefer?: string;
  };
}

export interface FhirResponse {
  status: number;
  /** A stored version (served as its exact text) or any resource (a Bundle, an OperationOutcome). */
  body?: StoredVersion | Resource;
  headers?: Record<string, string>;
}

export interface HandlerContext {
  repo: Repository;
  defs: Definitions;
  validator: Validator;
  baseUrl: string;
  /** Dispatches a nested request (batch entries) through the route table. */
  dispatch(req: FhirRequest, ctx: HandlerContext): Promise<FhirResponse>;
  capabilityStatement(): Resource;
}

export type Handler = (req: FhirRequest, ctx: HandlerContext) => Promise<FhirResponse>;

/** What search needs from a handler context: the database (of repo, which may be a transaction's), tenant, definitions, base URL and value sets. */
export function searchContext(ctx: HandlerContext, repo: Repository = ctx.repo): SearchContext {
  return { q: repo.queryable, tenant: repo.tenant, defs: ctx.defs, baseUrl: ctx.baseUrl, terminology: ctx.validator.terminology };
}
