import type { CapabilityStatement, CapabilityStatementRestResource, CapabilityStatementRestResourceSearchParam, Resource, SearchParameter } from '@medplum/fhirtypes';
import type { Definitions } from '../fhir/definitions.js';
import { isSearchable, modifiersSentence } from '../search/modifiers.js';
import { commonParams } from '../search/common-params.js';
import { textDocumentation } from '../search/param-content.js';
import { routes } from './routes.js';

const operationDefinitions: Record<string, string> = {
  validate: 'http://hl7.org/fhir/OperationDefinition/Resource-validate',
  lastn: 'http://hl7.org/fhir/OperationDefinition/Observation-lastn',
  stats: 'http://hl7.org/fhir/OperationDefinition/Observation-stats',
  status: 'http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition/backport-subscription-status',
  events: 'http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition/backport-subscription-events',
  replay: 'https://serium.dev/fhir/OperationDefinition/Subscription-replay',
  'get-ws-binding-token': 'http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition/backport-subscription-get-ws-binding-token',
};
const topicCanonicalUrl = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/capabilitystatement-subscriptiontopic-canonical';

/**
 * The CapabilityStatement, generated from the route table and the search engine's supported
 * parameter types, so it lists exactly what works.
 */
export function buildCapabilityStatement(defs: Definitions, baseUrl: string, version: string, profiles: string[], topics: string[] = []): Resource {
  const typeInteractions = new Set<string>();
  const conditional = new Set<string>();
  const typeOperations = new Map<string, string | undefined>();
  for (const r of routes) {
    if (r.level === 'system') continue;
    if (r.interaction) typeInteractions.add(r.interaction);
    if (r.interaction && r.conditional) conditional.add(r.interaction);
    if (r.operation) typeOperations.set(r.operation, r.resourceType);
  }
  // _revinclude targets: for each type, the Source:param pairs whose references may point at it
  const revIncludes = new Map<string, string[]>();
  for (const source of defs.resourceTypes) {
    for (const sp of defs.searchParams.get(source)?.values() ?? []) {
      if (sp.type !== 'reference') continue;
      for (const target of sp.target ?? []) revIncludes.set(target, [...(revIncludes.get(target) ?? []), `${source}:${sp.code}`]);
    }
  }
  const resources: CapabilityStatementRestResource[] = [...defs.resourceTypes].sort().map((type) => {
    const params = [...(defs.searchParams.get(type)?.values() ?? [])]
      .filter(isSearchable)
      .sort((a, b) => (a.code as string).localeCompare(b.code as string));
    return {
      // the subscription topics offered, as the backport IG advertises them
      ...(type === 'Subscription' && topics.length ? { extension: topics.map((url) => ({ url: topicCanonicalUrl, valueCanonical: url })) } : {}),
      type: type as CapabilityStatementRestResource['type'],
      ...(type === 'Observation' ? { supportedProfile: profiles } : {}),
      interaction: [...typeInteractions].map((code) => ({ code: code as 'read' })),
      versioning: 'versioned-update',
      readHistory: true,
      updateCreate: true,
      conditionalCreate: true,
      conditionalRead: 'full-support',
      conditionalUpdate: conditional.has('update'),
      conditionalDelete: conditional.has('delete') ? 'single' : 'not-supported',
      referencePolicy: ['literal', 'logical'],
      searchInclude: [`${type}:*`, ...params.filter((sp) => sp.type === 'reference').map((sp) => `${type}:${sp.code}`)],
      searchRevInclude: [...new Set(revIncludes.get(type) ?? [])].sort(),
      searchParam: params.map((sp) => searchParamEntry(type, sp)),
      operation: [...typeOperations]
        .filter(([, only]) => !only || only === type)
        .map(([name]) => ({ name, definition: operationDefinitions[name] })),
    };
  });
  const systemInteractions = [
    ...new Set(routes.filter((r) => r.level === 'system' && r.interaction && r.interaction !== 'capabilities').map((r) => r.interaction as string)),
  ];
  // system-level search takes the parameters common to every type (common-params.ts), and _type
  const allTypes = [...defs.resourceTypes].sort();
  const systemParams = commonParams(defs, allTypes).sort((a, b) => (a.code as string).localeCompare(b.code as string));
  const cs: CapabilityStatement = {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    publisher: 'Serium',
    kind: 'instance',
    software: { name: 'Serium', version },
    implementation: { description: 'Serium FHIR server for remote patient monitoring', url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    patchFormat: ['application/json-patch+json', 'application/fhir+json'],
    rest: [
      {
        mode: 'server',
        ...(routes.some((r) => r.compartment) ? { compartment: [...defs.compartments.values()].map((c) => c.url) } : {}),
        resource: resources,
        interaction: [...systemInteractions.map((code) => ({ code: code as 'transaction' })), { code: 'batch' }],
        ...(systemInteractions.includes('search-system')
          ? {
              searchParam: [
                {
                  name: '_type',
                  type: 'token',
                  documentation: 'The resource types to search, comma-separated; without it every type is searched. Only parameters common to all of them apply.',
                },
                ...systemParams.map((sp) => searchParamEntry(allTypes[0], sp)),
              ],
            }
          : {}),
      },
    ],
  };
  return cs;
}

/** One searchParam entry; its documentation ends with the modifiers the engine accepts (R4 has no element for them). */
function searchParamEntry(resourceType: string, sp: SearchParameter): CapabilityStatementRestResourceSearchParam {
  const about = textDocumentation[sp.code as string] ?? (sp.description ? firstLine(sp.description) : '');
  return {
    name: sp.code as string,
    definition: sp.url,
    type: sp.type,
    documentation: `${about ? `${about}\n\n` : ''}${modifiersSentence(resourceType, sp)}`,
  };
}

function firstLine(s: string): string {
  return s.split('\n')[0].slice(0, 300);
}
