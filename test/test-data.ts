import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { projectRoot } from '../src/paths.js';

/**
 * The external test data (Synthea patients, HL7 PHD IG and FHIR R4 examples): TEST_DATA_DIR, or
 * `../shared/data` beside the checkout. Tests that need it fail with this message when it is absent.
 */
export function testDataDir(): string {
  const dir = process.env.TEST_DATA_DIR ? resolve(process.env.TEST_DATA_DIR) : resolve(projectRoot(), '..', 'shared', 'data');
  if (!existsSync(dir)) throw new Error(`test data not found at ${dir}: set TEST_DATA_DIR to the folder holding synthea-10-patients, phd-ig-examples and fhir-r4-examples`);
  return dir;
}
