import { OperationOutcomeError, validateResource } from '@medplum/core';
import type { OperationOutcomeIssue, Resource, StructureDefinition } from '@medplum/fhirtypes';
import { FhirError } from './outcome.js';
import { checkRequiredBindings } from './required-bindings.js';
import type { Terminology } from './terminology.js';

/**
 * Validates resources against the R4 StructureDefinitions, required bindings, and the profiles
 * in fhir-profiles/ that a resource claims in meta.profile.
 */
export class Validator {
  constructor(
    private readonly terminology: Terminology,
    private readonly profiles: ReadonlyMap<string, StructureDefinition>,
  ) {}

  /** All issues found; errors and fatals make the resource invalid. */
  issues(resource: Resource): OperationOutcomeIssue[] {
    const issues: OperationOutcomeIssue[] = [];
    issues.push(...run(() => validateResource(resource)));
    issues.push(...checkRequiredBindings(resource as never, this.terminology));
    for (const url of resource.meta?.profile ?? []) {
      const profile = this.profiles.get(url.split('|')[0]);
      if (!profile) {
        issues.push({
          severity: 'information',
          code: 'not-supported',
          diagnostics: `Profile ${url} is not known to this server and was not checked`,
          expression: ['meta.profile'],
        });
        continue;
      }
      if (profile.type !== resource.resourceType) {
        issues.push({
          severity: 'error',
          code: 'invalid',
          diagnostics: `Profile ${url} constrains ${profile.type}, not ${resource.resourceType}`,
          expression: ['meta.profile'],
        });
        continue;
      }
      for (const issue of run(() => validateResource(resource, { profile }))) {
        issues.push({ ...issue, diagnostics: `${issue.diagnostics ?? ''} (profile ${url})`.trim() });
      }
    }
    return dedupe(issues);
  }

  /** Throws a 400 FhirError listing every error when the resource is invalid. */
  assertValid(resource: Resource): void {
    const issues = this.issues(resource);
    const errors = issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
    if (errors.length) {
      throw new FhirError('invalid', errors.map((e) => e.diagnostics).join('; '), { issues: errors });
    }
  }
}

function run(fn: () => OperationOutcomeIssue[]): OperationOutcomeIssue[] {
  try {
    return fn() ?? [];
  } catch (err) {
    if (err instanceof OperationOutcomeError) return err.outcome.issue ?? [];
    return [{ severity: 'error', code: 'invalid', diagnostics: (err as Error).message }];
  }
}

function dedupe(issues: OperationOutcomeIssue[]): OperationOutcomeIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.severity}|${i.code}|${i.diagnostics}|${i.expression?.join(',')}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
