import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CodeSystem, Resource, SearchParameter, StructureDefinition, ValueSet } from '@medplum/fhirtypes';
import { projectRoot } from '../paths.js';

export const profilesDir = join(projectRoot(), 'fhir-profiles');

/** The conformance resources Serium enforces and advertises, read from fhir-profiles/. */
export interface LocalConformance {
  profiles: Map<string, StructureDefinition>;
  valueSets: ValueSet[];
  codeSystems: CodeSystem[];
  searchParameters: SearchParameter[];
}

export function loadLocalConformance(dir = profilesDir): LocalConformance {
  const out: LocalConformance = { profiles: new Map(), valueSets: [], codeSystems: [], searchParameters: [] };
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const resource = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Resource;
    switch (resource.resourceType) {
      case 'StructureDefinition':
        if (resource.url) out.profiles.set(resource.url, resource);
        break;
      case 'ValueSet':
        out.valueSets.push(resource);
        break;
      case 'CodeSystem':
        out.codeSystems.push(resource);
        break;
      case 'SearchParameter':
        out.searchParameters.push(resource);
        break;
      default:
        throw new Error(`fhir-profiles/${file}: unexpected resource type ${resource.resourceType}`);
    }
  }
  return out;
}
