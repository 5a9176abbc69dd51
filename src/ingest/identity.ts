import { createHash } from 'node:crypto';
import type { Identifier } from '@medplum/fhirtypes';

/** The system of the identifier every ingested Observation carries. */
export const readingIdentifierSystem = 'https://serium.dev/fhir/NamingSystem/reading';

/** What makes a reading unique: the PHD IG's device, patient, type, timestamp, duration and supplemental codes. */
export interface ReadingKey {
  tenant: string;
  device: string;
  pseudonym: string;
  code: string;
  /** UTC instant, ISO 8601. */
  start: string;
  durationMs: number;
  supplemental: string[];
}

/**
 * The identifier value: the same reading sent twice gets the same one. The parts are joined with
 * "/", which no topic level can contain, so two readings never share a key.
 */
export function readingKey(k: Omit<ReadingKey, 'tenant'>): string {
  const time = k.start.replace(/[-:]/g, '');
  return [k.device, k.pseudonym, k.code, time, String(k.durationMs), ...k.supplemental].join('/');
}

export function readingIdentifier(k: ReadingKey): Identifier {
  return { system: readingIdentifierSystem, value: readingKey(k) };
}

/**
 * The Observation id derived from tenant and key (128 bits of SHA-256), so a re-sent message
 * finds its earlier Observation by primary key instead of a search.
 */
export function readingId(k: ReadingKey): string {
  return deterministicId(k.tenant, readingKey(k));
}

export function deterministicId(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}
