import { Ajv, type ErrorObject, type Options } from 'ajv';
import { parseDateTime } from './date-time.js';

/**
 * An ajv instance (JSON Schema draft-07 rules) with the two formats the ingest schemas use:
 * `date-time` as RFC 3339 with a required offset, and `uri` as an absolute URI.
 */
export function newAjv(options: Options = {}): Ajv {
  const ajv = new Ajv({ allErrors: false, strictTypes: false, ...options });
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => parseDateTime(s) !== undefined });
  ajv.addFormat('uri', { type: 'string', validate: (s: string) => /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$/.test(s) });
  return ajv;
}

/**
 * Ajv's errors as short messages naming the field ("heart_rate.unit: must be equal to one of
 * the allowed values beats/min"), at most `limit` of them, without repeats.
 */
export function describeErrors(errors: ErrorObject[] | null | undefined, limit = 3): string[] {
  const out: string[] = [];
  for (const e of errors ?? []) {
    const text = `${fieldPath(e.instancePath)}: ${e.message ?? 'is invalid'}${detail(e)}`;
    if (!out.includes(text)) out.push(text);
    if (out.length >= limit) break;
  }
  return out;
}

/** "/a/0/b" as "a[0].b"; the empty path (the value itself) as "(root)". */
export function fieldPath(pointer: string): string {
  if (!pointer) return '(root)';
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, p) => (/^\d+$/.test(p) ? `${path}[${p}]` : path ? `${path}.${p}` : p), '');
}

function detail(e: ErrorObject): string {
  const params = e.params as { allowedValues?: unknown[]; additionalProperty?: string };
  if (params.allowedValues) return ` ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  if (params.additionalProperty) return ` "${params.additionalProperty}"`;
  return '';
}
