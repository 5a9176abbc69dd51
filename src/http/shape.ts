import { getDataType } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { badRequest } from '../fhir/outcome.js';

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };
const always = new Set(['resourceType', 'id', 'meta']);
const summaryModes = ['true', 'false', 'text', 'data', 'count'];

type Keep = (key: string) => boolean;

/**
 * Checks _summary and _elements once and returns the function that applies them to each result,
 * marking a trimmed resource SUBSETTED. Throws 400 on an unknown _summary, whether or not
 * anything matches.
 */
export function resourceShaper(summary: string | undefined, elements: string[] | undefined): (r: Resource) => Resource {
  if (summary && !summaryModes.includes(summary)) {
    throw badRequest(`_summary must be true, false, text, data or count, got "${summary}"`);
  }
  const perType = new Map<string, Keep | undefined>();
  const keepFor = (type: string): Keep | undefined => {
    if (!perType.has(type)) perType.set(type, filter(type, summary, elements));
    return perType.get(type);
  };
  return (resource) => {
    const keep = keepFor(resource.resourceType);
    if (!keep) return resource;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(resource)) if (keep(k)) out[k] = v;
    const meta = (out.meta ?? {}) as Resource['meta'] & object;
    out.meta = { ...meta, tag: [...(meta.tag ?? []), SUBSETTED] };
    return out as unknown as Resource;
  };
}

function filter(type: string, summary: string | undefined, elements: string[] | undefined): Keep | undefined {
  if (elements?.length) {
    const set = new Set(elements);
    return (k) => always.has(k) || set.has(k) || elements.some((e) => k.startsWith(e) && /^[A-Z]/.test(k.slice(e.length)));
  }
  if (summary === 'true') {
    const { summaryProperties: props = new Set<string>(), elements: defined } = getDataType(type);
    // a choice element is listed by its base name (value) and written with its type (valueQuantity)
    const choices = [...props].map((p) => p.replace(/\[x\]$/, '')).filter((p) => `${p}[x]` in defined);
    return (k) => always.has(k) || props.has(k) || choices.some((p) => k.startsWith(p) && /^[A-Z]/.test(k.slice(p.length)));
  }
  if (summary === 'text') {
    const mandatory = getDataType(type).mandatoryProperties ?? new Set<string>();
    return (k) => always.has(k) || k === 'text' || mandatory.has(k);
  }
  if (summary === 'data') return (k) => k !== 'text';
  return undefined;
}
