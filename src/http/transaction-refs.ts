import type { Resource } from '@medplum/fhirtypes';

type Json = unknown;

/** Replaces every Reference.reference found in the map. */
export function rewriteReferences<T extends Json>(value: T, map: ReadonlyMap<string, string>): T {
  if (Array.isArray(value)) return value.map((v) => rewriteReferences(v, map)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = k === 'reference' && typeof v === 'string' && map.has(v) ? map.get(v) : rewriteReferences(v, map);
    }
    return out as T;
  }
  return value;
}

/** Every Reference.reference string in a resource. */
export function collectReferences(value: Json, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) for (const v of value) collectReferences(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'reference' && typeof v === 'string') out.add(v);
      else collectReferences(v, out);
    }
  }
  return out;
}

export function isPlaceholder(url: string | undefined): url is string {
  return !!url && (url.startsWith('urn:uuid:') || url.startsWith('urn:oid:'));
}

export function typeAndId(r: Pick<Resource, 'resourceType' | 'id'>): string {
  return `${r.resourceType}/${r.id}`;
}
