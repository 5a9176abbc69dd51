/**
 * Profile validation timing, in process (no server, no database). For a PHD heart rate and a PHD
 * blood pressure, each claiming its R4 vital-signs profile, prints µs per call of:
 * - old: @medplum/core validateResource(resource, { profile }), which parses the profile each call;
 * - new: checkProfile against the profile compiled once;
 * - base: validateResource(resource) without a profile (unchanged, run before either);
 * - Validator.check: base checks + required bindings + the compiled profile, as a write does.
 * Run: node --import tsx bench/profile-validation.ts   Settings: BENCH_ITERATIONS (5000).
 */
import { readFileSync } from 'node:fs';
import { OperationOutcomeError, validateResource } from '@medplum/core';
import type { Observation, Resource } from '@medplum/fhirtypes';
import { loadConformance } from '../src/fhir/conformance.js';
import { checkProfile } from '../src/fhir/profile-check.js';
import { compileProfile } from '../src/fhir/profile-compile.js';
import { Validator } from '../src/fhir/validator.js';

const iterations = Number(process.env.BENCH_ITERATIONS ?? 5000);
const { local, terminology } = loadConformance();
const validator = new Validator(terminology, local.profiles);

const example = (file: string, profile: string): Observation => {
  const url = new URL(`../../shared/data/phd-ig-examples/${file}`, import.meta.url);
  const resource = JSON.parse(readFileSync(url, 'utf8')) as Observation;
  return { ...resource, meta: { profile: [`http://hl7.org/fhir/StructureDefinition/${profile}`] } };
};

/** Median of five runs of `iterations` calls, in µs per call. */
function time(fn: () => unknown): number {
  for (let i = 0; i < Math.min(iterations, 500); i++) fn();
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    runs.push(Number(process.hrtime.bigint() - start) / 1000 / iterations);
  }
  return runs.sort((a, b) => a - b)[2];
}

const quietly = (fn: () => unknown) => () => {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof OperationOutcomeError)) throw err;
  }
};

const rows: Record<string, string>[] = [];
for (const [name, resource] of [
  ['heartrate', example('numeric-spotnumeric.json', 'heartrate')],
  ['bp', example('compound-numeric-blood-pressure.json', 'bp')],
] as const) {
  const sd = local.profiles.get(`http://hl7.org/fhir/StructureDefinition/${name}`)!;
  const compileStart = performance.now();
  const compiled = compileProfile(sd, { terminology, profileType: (url) => local.profiles.get(url)?.type });
  const compileMs = performance.now() - compileStart;
  const old = time(quietly(() => validateResource(resource as Resource, { profile: sd })));
  const now = time(() => checkProfile(compiled, resource));
  const base = time(quietly(() => validateResource(resource as Resource)));
  const full = time(() => validator.check(resource));
  rows.push({
    profile: name,
    'old µs': old.toFixed(1),
    'new µs': now.toFixed(1),
    speedup: `${(old / now).toFixed(0)}x`,
    'base µs': base.toFixed(1),
    'Validator.check µs': full.toFixed(1),
    'compile ms (once)': compileMs.toFixed(2),
  });
}
console.log(`profile validation, ${iterations} calls x 5 runs (median), node ${process.version}`);
console.table(rows);
