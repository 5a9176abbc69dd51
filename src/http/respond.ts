import type { OperationOutcome, Resource } from '@medplum/fhirtypes';
import { badRequest } from '../fhir/outcome.js';
import type { StoredVersion } from '../repository/stored.js';
import type { FhirRequest, FhirResponse } from './fhir-request.js';

export function versionHeaders(v: StoredVersion, baseUrl: string, withLocation: boolean): Record<string, string> {
  const h: Record<string, string> = {
    ETag: v.etag,
    'Last-Modified': new Date(v.lastUpdated).toUTCString(),
  };
  if (withLocation) h.Location = `${baseUrl}/${v.resourceType}/${v.id}/_history/${v.versionId}`;
  return h;
}

export type ReturnPreference = 'minimal' | 'representation' | 'OperationOutcome';

export function returnPreference(req: FhirRequest): ReturnPreference {
  const m = /return=(minimal|representation|OperationOutcome)/.exec(req.headers.prefer ?? '');
  return (m?.[1] as ReturnPreference) ?? 'representation';
}

/** The answer to a write, shaped by Prefer: return=... */
export function writeResponse(req: FhirRequest, status: number, v: StoredVersion, baseUrl: string, message: string): FhirResponse {
  const headers = versionHeaders(v, baseUrl, true);
  switch (returnPreference(req)) {
    case 'minimal':
      return { status, headers };
    case 'OperationOutcome':
      return { status, headers, body: info(message) };
    default:
      return { status, headers, body: v };
  }
}

export function info(message: string): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', diagnostics: message }] };
}

/** Parses an ETag-style version ("W/\"3\"", "\"3\"" or "3") into its number. */
export function parseVersionTag(tag: string, header: string): number {
  const m = /^(?:W\/)?"?(\d{1,15})"?$/.exec(tag.trim());
  if (!m) throw badRequest(`${header} must be a version ETag such as W/"1", got ${tag}`);
  return Number(m[1]);
}

/** The resource in a request body, checked against the URL's type (and id, when given). */
export function bodyResource(req: FhirRequest, resourceType: string, id?: string): Resource {
  const body = req.body as Resource | undefined;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('The request body must be a FHIR resource');
  if (typeof body.resourceType !== 'string') throw badRequest('The resource has no resourceType', ['resourceType']);
  if (body.resourceType !== resourceType) {
    throw badRequest(`The resource type ${body.resourceType} does not match the URL's ${resourceType}`, ['resourceType']);
  }
  if (id !== undefined) {
    if (body.id === undefined) throw badRequest('An update must carry the resource id', ['id']);
    if (body.id !== id) throw badRequest(`The resource id "${body.id}" does not match the URL's "${id}"`, ['id']);
  }
  return body;
}
