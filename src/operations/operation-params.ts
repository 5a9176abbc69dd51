import type { Parameters, ParametersParameter } from '@medplum/fhirtypes';
import { badRequest } from '../fhir/outcome.js';
import { formType } from '../http/fhir-body.js';
import type { FhirRequest } from '../http/fhir-request.js';
import { searchParams } from '../http/searchset.js';

/**
 * The inputs of an operation that takes only simple values, as one list of name=value pairs:
 * the query string, plus for POST a form body or a Parameters resource (primitive values and
 * Codings as system|code, Periods as start|end).
 */
export function operationParams(req: FhirRequest): URLSearchParams {
  if (req.method !== 'POST' || req.body === undefined || req.contentType === formType) return searchParams(req);
  const params = new URLSearchParams(req.query);
  const body = req.body as Parameters;
  if (body?.resourceType !== 'Parameters') throw badRequest('The operation takes a Parameters resource or a form body');
  for (const p of body.parameter ?? []) params.append(p.name ?? '', primitive(p));
  return params;
}

function primitive(p: ParametersParameter): string {
  for (const [key, value] of Object.entries(p)) {
    if (!key.startsWith('value')) continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (key === 'valueCoding') return `${value.system ?? ''}|${value.code ?? ''}`;
    if (key === 'valueReference' && typeof value.reference === 'string') return value.reference;
    if (key === 'valuePeriod') return `${value.start ?? ''}|${value.end ?? ''}`;
  }
  throw badRequest(`Parameter ${p.name} needs a simple value here`);
}
