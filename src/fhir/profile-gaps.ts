import { tryGetDataType } from '@medplum/core';
import type { ElementDefinition, OperationOutcomeIssue, StructureDefinition } from '@medplum/fhirtypes';

type Obj = Record<string, unknown>;

const choiceAtRoot = /^([A-Za-z]+)\.([a-z][A-Za-z]*)\[x\]$/;
const typeSliceChild = /^([A-Za-z]+)\.([a-z][A-Za-z]*)\[x\]:([a-z][A-Za-z]*)(?:\.([a-z][A-Za-z]*))?$/;

/**
 * Profile rules the structural validator leaves out:
 * - on a top-level choice element (value[x] in the vital signs profiles), the types it allows and
 *   the cardinality and fixed or pattern values of the type slice's children (valueQuantity.code = "/min");
 * - a required slice (code.coding:HeartRateCode, 1..1) when the sliced array is absent altogether.
 */
export function checkProfileGaps(resource: Obj, profile: StructureDefinition): OperationOutcomeIssue[] {
  const rt = resource.resourceType as string;
  const issues: OperationOutcomeIssue[] = [];
  const error = (expression: string, text: string) =>
    issues.push({ severity: 'error', code: 'structure', diagnostics: text, expression: [expression] });
  const baseElements = tryGetDataType(rt)?.elements ?? {};

  for (const el of profile.snapshot?.element ?? []) {
    if (el.sliceName && (el.min ?? 0) >= 1) {
      const array = profile.snapshot?.element.find((e) => e.id === el.path);
      const missing = (array?.min ?? 0) >= 1 ? undefined : absentSlicedArray(resource, el);
      if (missing) error(missing, `${missing} needs the slice ${el.sliceName} (${el.min}..${el.max}), but is absent`);
    }
    const choice = el.id === el.path ? choiceAtRoot.exec(el.path) : null;
    if (choice && choice[1] === rt && el.type?.length) {
      const allowed = el.type.map((t) => t.code);
      for (const key of Object.keys(resource)) {
        if (!key.startsWith(choice[2]) || Object.hasOwn(baseElements, key) || !/^[A-Z]/.test(key.charAt(choice[2].length))) continue;
        const suffix = key.slice(choice[2].length);
        if (!allowed.some((t) => t.toLowerCase() === suffix.toLowerCase())) {
          error(`${rt}.${key}`, `${rt}.${choice[2]}[x] must be of type ${allowed.join(' or ')}, not ${suffix}`);
        }
      }
      continue;
    }
    const slice = typeSliceChild.exec(el.id ?? '');
    if (!slice || slice[1] !== rt) continue;
    const [, , , property, child] = slice;
    const value = resource[property];
    if (!child) {
      if ((el.min ?? 0) >= 1 && value === undefined) error(`${rt}.${property}`, `${rt}.${property} is required by the profile`);
      continue;
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) continue;
    const actual = (value as Obj)[child];
    const where = `${rt}.${property}.${child}`;
    if ((el.min ?? 0) >= 1 && actual === undefined) {
      error(where, `${where} is required by the profile`);
      continue;
    }
    const fixed = valueOf(el, 'fixed');
    if (fixed !== undefined && actual !== undefined && !equal(actual, fixed)) {
      error(where, `${where} must be ${JSON.stringify(fixed)}, got ${JSON.stringify(actual)}`);
    }
    const pattern = valueOf(el, 'pattern');
    if (pattern !== undefined && actual !== undefined && !matches(actual, pattern)) {
      error(where, `${where} must match ${JSON.stringify(pattern)}, got ${JSON.stringify(actual)}`);
    }
  }
  return issues;
}

/**
 * For a required slice on an array below the resource (no other slice on the way, no array
 * between), the array's path when the array is absent but its parent is present. When the
 * parent is absent too, the parent's own cardinality is what fails.
 */
function absentSlicedArray(resource: Obj, el: ElementDefinition): string | undefined {
  const id = el.id ?? '';
  if (id.indexOf(':') !== id.lastIndexOf(':') || !el.path || id !== `${el.path}:${el.sliceName}`) return undefined;
  const [rt, ...steps] = el.path.split('.');
  if (rt !== resource.resourceType || !steps.length || steps.some((s) => s.endsWith('[x]'))) return undefined;
  let parent: unknown = resource;
  for (const step of steps.slice(0, -1)) {
    if (!parent || typeof parent !== 'object' || Array.isArray(parent)) return undefined;
    parent = (parent as Obj)[step];
  }
  if (!parent || typeof parent !== 'object' || Array.isArray(parent)) return undefined;
  const array = (parent as Obj)[steps[steps.length - 1]];
  return array === undefined || (Array.isArray(array) && !array.length) ? el.path : undefined;
}

function valueOf(el: ElementDefinition, prefix: 'fixed' | 'pattern'): unknown {
  const key = Object.keys(el).find((k) => k.startsWith(prefix) && /^[A-Z]/.test(k.charAt(prefix.length)));
  return key ? (el as unknown as Obj)[key] : undefined;
}

function equal(a: unknown, b: unknown): boolean {
  return matches(a, b) && matches(b, a);
}

/** FHIR pattern matching: every value in the pattern is present in the instance. */
function matches(actual: unknown, pattern: unknown): boolean {
  if (Array.isArray(pattern)) {
    return Array.isArray(actual) && pattern.every((p) => actual.some((a) => matches(a, p)));
  }
  if (pattern && typeof pattern === 'object') {
    if (!actual || typeof actual !== 'object') return false;
    return Object.entries(pattern).every(([k, v]) => matches((actual as Obj)[k], v));
  }
  return actual === pattern;
}
