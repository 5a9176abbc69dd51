import { tryGetDataType } from '@medplum/core';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { hasCode, type Terminology } from './terminology.js';
import { capitalise, type Obj } from './json.js';



/**
 * Checks every element with a required binding against its value set's codes. The structural
 * validator accepts any string for a code (Observation.status = "bogus"), so this walk does it.
 */
export function checkRequiredBindings(resource: Obj, terminology: Terminology): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  walk(resource, resource.resourceType as string, resource.resourceType as string, terminology, issues);
  return issues;
}

function walk(value: Obj, typeName: string, path: string, terminology: Terminology, issues: OperationOutcomeIssue[]): void {
  const schema = tryGetDataType(typeName);
  if (!schema) return;
  for (const [key, raw] of Object.entries(value)) {
    if (key === 'resourceType' || key.startsWith('_')) continue;
    // Own properties only: "constructor" must not find Object.prototype.constructor.
    let element = Object.hasOwn(schema.elements, key) ? schema.elements[key] : undefined;
    let type = element?.type[0]?.code;
    if (!element) {
      for (const [name, el] of Object.entries(schema.elements)) {
        if (!name.endsWith('[x]')) continue;
        const base = name.slice(0, -3);
        const t = el.type.find((t) => key === base + capitalise(t.code));
        if (t) {
          element = el;
          type = t.code;
          break;
        }
      }
    }
    if (!element || !type) continue;
    const items = Array.isArray(raw) ? raw : [raw];
    items.forEach((item, i) => {
      const itemPath = `${path}.${key}${Array.isArray(raw) ? `[${i}]` : ''}`;
      const binding = element.binding;
      if (binding?.strength === 'required' && binding.valueSet) {
        const problem = checkValue(item, type, binding.valueSet, terminology);
        if (problem) {
          issues.push({ severity: 'error', code: 'code-invalid', diagnostics: `${problem} (${itemPath})`, expression: [itemPath] });
        }
      }
      if (item && typeof item === 'object') {
        if (type === 'Resource') {
          const rt = (item as Obj).resourceType;
          if (typeof rt === 'string') walk(item as Obj, rt, itemPath, terminology, issues);
        } else if (/^[A-Z]/.test(type) && type !== 'Extension') {
          walk(item as Obj, type, itemPath, terminology, issues);
        }
      }
    });
  }
}

function checkValue(item: unknown, type: string, valueSet: string, terminology: Terminology): string | undefined {
  const codes = terminology.codes(valueSet);
  return codes ? valueSetProblem(item, type, codes, valueSet.split('|')[0]) : undefined;
}

/**
 * Why a value of the given type is outside a value set of "system|code" pairs, or undefined when
 * it is inside or carries no code to check. A string-like value is a bare code; a Quantity is
 * judged by its system and code (R4 terminologies.html#binding).
 */
export function valueSetProblem(item: unknown, type: string, codes: ReadonlySet<string>, vsName: string): string | undefined {
  const inSet = (system: string | undefined, code: string) => hasCode(codes, system, code);
  if (typeof item === 'string') {
    return inSet(undefined, item) ? undefined : `Value "${item}" is not in the required value set ${vsName}`;
  }
  if (!item || typeof item !== 'object') return undefined;
  if (type === 'Coding' || type === 'Quantity') {
    const c = item as { system?: string; code?: string };
    if (typeof c.code !== 'string') return undefined;
    return inSet(c.system, c.code) ? undefined : `Code "${c.system ?? ''}|${c.code}" is not in the required value set ${vsName}`;
  }
  if (type === 'CodeableConcept') {
    const coding = (item as { coding?: unknown }).coding;
    const codings = (Array.isArray(coding) ? (coding as { system?: string; code?: string }[]) : []).filter((c) => c?.code);
    if (!codings.length) return undefined;
    return codings.some((c) => inSet(c.system, c.code as string))
      ? undefined
      : `None of the codes is in the required value set ${vsName}`;
  }
  return undefined;
}
