import { allowWrappedBase64 } from './base64-whitespace.js';
import { OperationOutcomeError, validateResource } from '@medplum/core';
import type { OperationOutcomeIssue, Resource, StructureDefinition } from '@medplum/fhirtypes';
import { FhirError } from './outcome.js';
import { checkProfile } from './profile-check.js';
import { compileProfile, type CompiledProfile } from './profile-compile.js';
import { checkRequiredBindings } from './required-bindings.js';
import type { Terminology } from './terminology.js';

/** Issues found by the base R4 checks, and those found only by a profile's. */
export interface ValidationResult {
  base: OperationOutcomeIssue[];
  profile: OperationOutcomeIssue[];
}

/**
 * Validates resources against the R4 StructureDefinitions, required bindings, and the profiles
 * in fhir-profiles/ that a resource claims in meta.profile (or that $validate names). The base
 * checks are @medplum/core's; each profile is compiled once, here, and checked by profile-check.
 * Needs the R4 definitions loaded (loadDefinitions) before it is built.
 */
export class Validator {
  private readonly compiled = new Map<string, CompiledProfile>();

  constructor(
    /** The value sets and code systems Serium holds (also used by search :in and :not-in). */
    readonly terminology: Terminology,
    profiles: ReadonlyMap<string, StructureDefinition>,
  ) {
    const profileType = (url: string) => profiles.get(url)?.type;
    for (const [url, sd] of profiles) this.compiled.set(url, compileProfile(sd, { terminology, profileType }));
  }

  /** All issues found; errors and fatals make the resource invalid. */
  issues(resource: Resource, extraProfiles: string[] = []): OperationOutcomeIssue[] {
    const { base, profile } = this.check(resource, extraProfiles);
    return [...base, ...profile];
  }

  /**
   * The base checks, then each profile's. A profile's checks cover only what it adds to the base
   * definitions; an issue the base checks already raised is not repeated.
   */
  check(resource: Resource, extraProfiles: string[] = []): ValidationResult {
    const base = dedupe([
      ...inheritedNames(resource),
      ...allowWrappedBase64(resource, run(() => validateResource(resource))),
      ...checkRequiredBindings(resource as never, this.terminology),
    ]);
    const seen = new Set(base.map(key));
    const profile: OperationOutcomeIssue[] = [];
    const urls = [...new Set([...(resource.meta?.profile ?? []), ...extraProfiles])];
    for (const url of urls) {
      const compiled = this.compiled.get(url.split('|')[0]);
      if (!compiled) {
        profile.push({
          severity: 'information',
          code: 'not-supported',
          diagnostics: `Profile ${url} is not known to this server and was not checked`,
          expression: ['meta.profile'],
        });
        continue;
      }
      if (compiled.type !== resource.resourceType) {
        profile.push({
          severity: 'error',
          code: 'invalid',
          diagnostics: `Profile ${url} constrains ${compiled.type}, not ${resource.resourceType}`,
          expression: ['meta.profile'],
        });
        continue;
      }
      for (const issue of checkProfile(compiled, resource)) {
        if (seen.has(key(issue))) continue;
        seen.add(key(issue));
        profile.push(issue);
      }
    }
    return { base, profile: dedupe(profile) };
  }

  /**
   * Throws when the resource is invalid: 400 when it fails the base FHIR rules, 422 when it is
   * valid FHIR but violates a profile it claims (R4 http.html: 422 Unprocessable Entity).
   */
  assertValid(resource: Resource): void {
    const { base, profile } = this.check(resource);
    const isError = (i: OperationOutcomeIssue) => i.severity === 'error' || i.severity === 'fatal';
    const baseErrors = base.filter(isError);
    const profileErrors = profile.filter(isError);
    if (!baseErrors.length && !profileErrors.length) return;
    const errors = [...baseErrors, ...profileErrors];
    const message = errors.map((e) => e.diagnostics ?? e.details?.text).join('; ');
    if (baseErrors.length) throw new FhirError('invalid', message, { issues: errors });
    throw new FhirError('processing', message, { issues: errors, status: 422 });
  }
}

/**
 * Properties named like Object.prototype members ("constructor", "toString", "__proto__") are
 * no FHIR element, but a lookup in a plain object of element definitions finds them, so the
 * structural validator lets them through. They are reported here.
 */
function inheritedNames(value: unknown, path = '', out: OperationOutcomeIssue[] = []): OperationOutcomeIssue[] {
  if (Array.isArray(value)) {
    value.forEach((v, i) => inheritedNames(v, `${path}[${i}]`, out));
  } else if (value && typeof value === 'object') {
    const here = path || String((value as { resourceType?: unknown }).resourceType ?? '');
    for (const [k, v] of Object.entries(value)) {
      const p = `${here}.${k}`;
      if (k in Object.prototype) {
        out.push({ severity: 'error', code: 'structure', details: { text: `Invalid additional property "${k}"` }, expression: [p] });
      } else {
        inheritedNames(v, p, out);
      }
    }
  }
  return out;
}

function run(fn: () => OperationOutcomeIssue[]): OperationOutcomeIssue[] {
  try {
    return fn() ?? [];
  } catch (err) {
    if (err instanceof OperationOutcomeError) return err.outcome.issue ?? [];
    return [{ severity: 'error', code: 'invalid', diagnostics: (err as Error).message }];
  }
}

const key = (i: OperationOutcomeIssue) => `${i.severity}|${i.code}|${i.details?.text ?? i.diagnostics}|${i.expression?.join(',')}`;

function dedupe(issues: OperationOutcomeIssue[]): OperationOutcomeIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${key(i)}|${i.diagnostics}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
