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
  if (contentType === formType) return { body: raw, contentType };
  if (!jsonTypes.includes(contentType)) {
    throw new FhirError('not-supported', `Content-Type ${contentType} is not supported; use application/fhir+json`, { status: 415 });
  }
  try {
    return { body: JSON.parse(raw), contentType };
  } catch (err) {
    throw new FhirError('structure', `The body is not valid JSON: ${(err as Error).message}`);
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
