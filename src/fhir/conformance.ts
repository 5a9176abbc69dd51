import { loadDefinitions, type Definitions } from './definitions.js';
import { loadLocalConformance, type LocalConformance } from './profiles.js';
import { Terminology } from './terminology.js';

/** Everything Serium knows of FHIR: the R4 definitions with fhir-profiles/ added, and their terminology. */
export interface Conformance {
  local: LocalConformance;
  defs: Definitions;
  terminology: Terminology;
}

/** Reads the R4 definitions and fhir-profiles/ once; the start of the server and of tools alike. */
export function loadConformance(): Conformance {
  const local = loadLocalConformance();
  const defs = loadDefinitions(local.searchParameters);
  const terminology = new Terminology([...local.codeSystems, ...local.valueSets]);
  return { local, defs, terminology };
}
