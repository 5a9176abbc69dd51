import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import type { CompiledProfile, ElementRule, Invariant, Slicing } from './profile-compile.js';
import { sliceMatches } from './profile-slicing.js';
import { deepEqual, isObject, type Item, itemsOf, matchesPattern, type Obj } from './profile-values.js';
import { valueSetProblem } from './required-bindings.js';

type Code = 'invariant' | 'required' | 'structure' | 'value' | 'code-invalid';

interface Run {
  issues: OperationOutcomeIssue[];
  /** Appended to every diagnostics: which profile asked for it. */
  suffix: string;
  env: Record<string, unknown>;
}

/**
 * Checks a resource against a compiled profile: only what the profile adds to the base
 * definitions, which the base validation checks. Every issue names the element with a FHIRPath
 * expression and the profile in its diagnostics.
 */
export function checkProfile(profile: CompiledProfile, resource: Resource): OperationOutcomeIssue[] {
  const run: Run = { issues: [], suffix: ` (profile ${profile.url})`, env: { resource, rootResource: resource } };
  const rt = profile.type;
  checkItem(run, profile.root, { value: resource as unknown as Obj, key: rt, path: rt, type: rt });
  return run.issues;
}

function report(run: Run, code: Code, expression: string, text: string, severity: 'error' | 'warning' = 'error'): void {
  run.issues.push({ severity, code, diagnostics: text + run.suffix, expression: [expression] });
}

/** The rules on one occurrence of an element, then on the elements inside it. */
function checkItem(run: Run, rule: ElementRule, item: Item): void {
  if (rule.fixed !== undefined && !deepEqual(item.value, rule.fixed)) {
    report(run, 'value', item.path, `${item.path} must be ${JSON.stringify(rule.fixed)} (fixed by ${rule.id}), got ${JSON.stringify(item.value)}`);
  }
  if (rule.pattern !== undefined && !matchesPattern(item.value, rule.pattern)) {
    report(run, 'value', item.path, `${item.path} must match ${JSON.stringify(rule.pattern)} (pattern of ${rule.id}), got ${JSON.stringify(item.value)}`);
  }
  if (rule.binding && (!rule.binding.types || rule.binding.types.has(item.type))) {
    const problem = valueSetProblem(item.value, item.type, rule.binding.codes, rule.binding.valueSet);
    if (problem) report(run, 'code-invalid', item.path, `${problem} (${item.path}, bound by ${rule.id})`);
  }
  if (rule.targets && isObject(item.value)) checkTarget(run, rule, item);
  for (const invariant of rule.invariants) checkInvariant(run, rule, invariant, item);
  if (rule.children.length && isObject(item.value)) {
    for (const child of rule.children) checkElement(run, child, item.value, item.path);
  }
}

/** Cardinality, type choice and slices of an element inside a present parent. */
function checkElement(run: Run, rule: ElementRule, parent: Obj, parentPath: string): void {
  const { items, count } = itemsOf(parent, parentPath, rule.keyTypes);
  const where = items.length === 1 && items[0].key !== rule.name ? `${parentPath}.${items[0].key}` : `${parentPath}.${rule.name}`;
  if (rule.cardinality && count < rule.min) {
    report(run, 'required', where, `${where}: minimum required = ${rule.min}, but only found ${count} (${rule.id})`);
  }
  if (rule.cardinality && count > rule.max) {
    report(run, 'structure', where, `${where}: maximum allowed = ${rule.max}, but found ${count} (${rule.id})`);
  }
  const accepted: Item[] = [];
  for (const item of items) {
    if (rule.allowedTypes && !rule.allowedTypes.has(item.type)) {
      report(run, 'structure', item.path, `${item.path}: ${rule.path} must be of type ${[...rule.allowedTypes].join(' or ')}, not ${item.type}`);
      continue;
    }
    accepted.push(item);
    checkItem(run, rule, item);
  }
  if (rule.slicing) checkSlices(run, rule, rule.slicing, accepted, where);
}

/**
 * Assigns each item to the first slice whose discriminators it matches, checks it against that
 * slice, then the slices' counts and the slicing rules (closed, openAtEnd, ordered).
 */
function checkSlices(run: Run, rule: ElementRule, slicing: Slicing, items: Item[], where: string): void {
  const counts = slicing.slices.map(() => 0);
  let furthest = -1;
  let unmatchedBefore: Item | undefined;
  for (const item of items) {
    const index = slicing.slices.findIndex((s) => sliceMatches(s.matchers, item));
    if (index < 0) {
      if (slicing.rules === 'closed') {
        report(run, 'structure', item.path, `${item.path} matches none of the slices of ${rule.id}, and the slicing is closed`);
      }
      unmatchedBefore ??= item;
      continue;
    }
    const slice = slicing.slices[index];
    if (slicing.rules === 'openAtEnd' && unmatchedBefore) {
      report(run, 'structure', unmatchedBefore.path, `${unmatchedBefore.path} matches no slice of ${rule.id} but comes before slice ${slice.sliceName} (open at end)`);
      unmatchedBefore = undefined;
    }
    if (slicing.ordered && index < furthest) {
      report(run, 'structure', item.path, `${item.path} is in slice ${slice.sliceName}, which comes before slice ${slicing.slices[furthest].sliceName} in ${rule.id}`);
    }
    furthest = Math.max(furthest, index);
    counts[index]++;
    checkItem(run, slice, item);
  }
  slicing.slices.forEach((slice, i) => {
    const range = `${slice.min}..${Number.isFinite(slice.max) ? slice.max : '*'}`;
    if (counts[i] < slice.min) {
      report(run, 'required', where, `${where} needs the slice ${slice.sliceName} (${range}), but found ${counts[i]} matching item(s) (${slice.id})`);
    } else if (counts[i] > slice.max) {
      report(run, 'structure', where, `${where} allows the slice ${slice.sliceName} ${range}, but found ${counts[i]} matching item(s) (${slice.id})`);
    }
  });
}

/** R4 Reference: a literal reference's type must be one the profile allows. */
function checkTarget(run: Run, rule: ElementRule, item: Item): void {
  const ref = item.value as { reference?: unknown; type?: unknown };
  const named = [typeof ref.type === 'string' ? ref.type : undefined, typeof ref.reference === 'string' ? referencedType(ref.reference) : undefined];
  for (const type of named) {
    if (type && !rule.targets!.has(type)) {
      report(run, 'structure', item.path, `${item.path} refers to a ${type}, but ${rule.id} allows only ${[...rule.targets!].join(', ')}`);
      return;
    }
  }
}

/** The resource type a literal reference names: Type/id, .../Type/id[/_history/v], Type?query. */
function referencedType(reference: string): string | undefined {
  if (reference.startsWith('#') || reference.startsWith('urn:')) return undefined;
  const query = reference.indexOf('?');
  if (query >= 0) return /^[A-Z][A-Za-z]+$/.test(reference.slice(0, query)) ? reference.slice(0, query) : undefined;
  const parts = reference.split('/');
  const history = parts.lastIndexOf('_history');
  const type = history >= 2 ? parts[history - 2] : parts[parts.length - 2];
  return type && /^[A-Z][A-Za-z]+$/.test(type) ? type : undefined;
}

/**
 * A constraint is broken when its expression evaluates to false. An empty result is not counted:
 * it means the rule does not apply to the value, as vs-1 shows ("if Observation.effective[x] is
 * dateTime ..."), whose expression ($this as dateTime)... is empty on an effectivePeriod.
 */
function checkInvariant(run: Run, rule: ElementRule, invariant: Invariant, item: Item): void {
  const evaluate = invariant.byType.get(item.type);
  if (!evaluate) return;
  let result: unknown[];
  try {
    result = evaluate(item.value, run.env);
  } catch (err) {
    report(run, 'invariant', item.path, `Constraint ${invariant.key} of ${rule.id} could not be evaluated: ${(err as Error).message}`, invariant.severity);
    return;
  }
  if (result.length === 1 && result[0] === false) {
    report(run, 'invariant', item.path, `Constraint ${invariant.key} not met: ${invariant.human} (${rule.id})`, invariant.severity);
  }
}
