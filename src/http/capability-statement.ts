import type { CapabilityStatement, CapabilityStatementRestResource, Resource } from '@medplum/fhirtypes';
import type { Definitions } from '../fhir/definitions.js';
import { supportedModifiers } from '../search/search.js';
import { isRowParam } from '../search/row-params.js';
import { routes } from './routes.js';

const operationDefinitions: Record<string, string> = {
  validate: 'http://hl7.org/fhir/OperationDefinition/Resource-validate',
};

/**
 * The CapabilityStatement, generated from the route table and the search engine's supported
 * parameter types, so it lists exactly what works.
 */
export function buildCapabilityStatement(defs: Definitions, baseUrl: string, version: string, profiles: string[]): Resource {
  const typeInteractions = new Set<string>();
  const conditional = new Set<string>();
  const typeOperations = new Set<string>();
  for (const r of routes) {
    if (r.level === 'system') continue;
    if (r.interaction) typeInteractions.add(r.interaction);
    if (r.interaction && r.conditional) conditional.add(r.interaction);
    if (r.operation) typeOperations.add(r.operation);
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
      .filter((sp) => isRowParam(sp.code) || (sp.type as string) in supportedModifiers)
      .sort((a, b) => (a.code as string).localeCompare(b.code as string));
    return {
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
      searchParam: params.map((sp) => ({
        name: sp.code as string,
        definition: sp.url,
        type: sp.type,
        ...(sp.description ? { documentation: firstLine(sp.description) } : {}),
      })),
      operation: [...typeOperations].map((name) => ({ name, definition: operationDefinitions[name] })),
    };
  });
  const systemInteractions = routes.filter((r) => r.level === 'system' && r.interaction && r.interaction !== 'capabilities');
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
        interaction: [
          ...systemInteractions.map((r) => ({ code: r.interaction as 'transaction' })),
          { code: 'batch' },
        ],
      },
    ],
  };
  return cs;
}

function firstLine(s: string): string {
  return s.split('\n')[0].slice(0, 300);
}
