import { getDataType } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { badRequest } from '../fhir/outcome.js';

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };
const always = new Set(['resourceType', 'id', 'meta']);

/** Applies _summary (true, text, data, false) and _elements, marking the result SUBSETTED. */
export function shapeResource(resource: Resource, summary: string | undefined, elements: string[] | undefined): Resource {
  if (summary && !['true', 'false', 'text', 'data', 'count'].includes(summary)) {
    throw badRequest(`_summary must be true, false, text, data or count, got "${summary}"`);
  }
  let keep: ((key: string) => boolean) | undefined;
  if (elements?.length) {
    const set = new Set(elements);
    keep = (k) => always.has(k) || set.has(k) || [...set].some((e) => k.startsWith(e) && /^[A-Z]/.test(k.slice(e.length)));
  } else if (summary === 'true') {
    const props = getDataType(resource.resourceType).summaryProperties ?? new Set<string>();
    keep = (k) => always.has(k) || props.has(k) || [...props].some((p) => p.endsWith('[x]') && k.startsWith(p.slice(0, -3)));
  } else if (summary === 'text') {
    const mandatory = getDataType(resource.resourceType).mandatoryProperties ?? new Set<string>();
    keep = (k) => always.has(k) || k === 'text' || mandatory.has(k);
  } else if (summary === 'data') {
    keep = (k) => k !== 'text';
  }
  if (!keep) return resource;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(resource)) if (keep(k)) out[k] = v;
  const meta = (out.meta ?? {}) as Resource['meta'] & object;
  out.meta = { ...meta, tag: [...(meta.tag ?? []), SUBSETTED] };
  return out as unknown as Resource;
}
