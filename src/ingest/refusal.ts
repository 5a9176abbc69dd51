import { FhirError } from '../fhir/outcome.js';

/**
 * The server refused the content: FHIR validation, or a value PostgreSQL cannot store (data
 * exceptions 22, integrity 23, limits 54 such as an index row too large). Retrying would fail
 * the same way, so the message is rejected alone. Anything else (connections, shutdowns, a
 * database that is away) is waited for.
 */
export function isRefusal(err: unknown): boolean {
  if (err instanceof FhirError) return !isRace(err);
  const code = (err as { code?: string })?.code;
  return typeof code === 'string' && /^(22|23|54)/.test(code) && !isRace(err);
}

/**
 * Another writer got there first (a replica storing the same reading or creating the same
 * gateway Device): retry at once. The repository reports such a race as a 409 conflict.
 */
export function isRace(err: unknown): boolean {
  if (err instanceof FhirError) return err.status === 409;
  const code = (err as { code?: string })?.code;
  return code === '23505' || code === '40001' || code === '40P01';
}
