import type { Request } from 'express';
import { FhirError } from '../fhir/outcome.js';

const jsonTypes = ['application/fhir+json', 'application/json', 'application/json-patch+json'];
export const formType = 'application/x-www-form-urlencoded';

/**
 * Checks the content type and parses the raw body: JSON for resources and patches, the raw
 * string for form posts. Nothing else is accepted.
 */
export function parseBody(req: Request, raw: string | undefined): { body: unknown; contentType?: string } {
  const hasBody = raw !== undefined && raw.length > 0;
  const header = req.headers['content-type'];
  if (!hasBody) return { body: undefined, contentType: header?.split(';')[0].trim().toLowerCase() };
  if (!header) throw new FhirError('not-supported', 'A request body needs a Content-Type of application/fhir+json', { status: 415 });
  const [mediaType, ...paramParts] = header.split(';').map((s) => s.trim());
  const contentType = mediaType.toLowerCase();
  const charset = paramParts.find((p) => p.toLowerCase().startsWith('charset='))?.slice(8).replace(/"/g, '').toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    throw new FhirError('not-supported', `Only UTF-8 is accepted, got charset ${charset}`, { status: 415 });
  }
  if (contentType === formType) {
    // Only a search takes a form (POST [type]/_search); everywhere else it is the wrong media type.
    if (!/\/_search\/?$/.test(req.path)) throw new FhirError('not-supported', `Content-Type ${formType} is only accepted by _search`, { status: 415 });
    return { body: raw, contentType };
  }
  if (!jsonTypes.includes(contentType)) {
    throw new FhirError('not-supported', `Content-Type ${contentType} is not supported; use application/fhir+json`, { status: 415 });
  }
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (err) {
    throw new FhirError('structure', `The body is not valid JSON: ${(err as Error).message}`);
  }
  checkDepth(body, maxDepth);
  return { body, contentType };
}

/** Far deeper than any real resource, shallow enough for the recursive walks that follow. */
export const maxDepth = 128;

/** Rejects JSON nested deeper than `limit` objects and arrays, without recursing itself. */
export function checkDepth(value: unknown, limit: number): void {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (!v || typeof v !== 'object') continue;
    if (depth > limit) throw new FhirError('structure', `The body nests objects and arrays deeper than ${limit} levels`);
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child && typeof child === 'object') stack.push([child, depth + 1]);
  }
}

const acceptable = ['application/fhir+json', 'application/json', 'application/*', '*/*', 'json', 'application/json+fhir'];

/** Answers 406 when neither _format nor Accept allows JSON. */
export function checkFormat(req: Request, format: string | null): void {
  if (format !== null) {
    const f = format.split(';')[0].trim().toLowerCase();
    if (!acceptable.includes(f)) throw new FhirError('not-supported', `_format ${format} is not supported; this server speaks JSON`, { status: 406 });
    return;
  }
  const accept = req.headers.accept;
  if (!accept) return;
  const types = accept.split(',').map((s) => s.split(';')[0].trim().toLowerCase());
  if (!types.some((t) => acceptable.includes(t))) {
    throw new FhirError('not-supported', `Cannot answer in ${accept}; this server speaks application/fhir+json`, { status: 406 });
  }
}
