import type { ElementDefinition } from '@medplum/fhirtypes';

import { isObject, type Obj } from './json.js';

export { capitalise, isObject, type Obj } from './json.js';

/** One occurrence of an element in an instance: its value, its JSON key, its FHIRPath, its type. */
export interface Item {
  value: unknown;
  key: string;
  path: string;
  type: string;
}

/** The value of ElementDefinition.fixed[x] or .pattern[x], if the element has one. */
export function specifiedValue(el: ElementDefinition, prefix: 'fixed' | 'pattern'): unknown {
  for (const k of Object.keys(el)) {
    if (k.length > prefix.length && k.startsWith(prefix) && /[A-Z]/.test(k.charAt(prefix.length))) {
      return (el as unknown as Obj)[k];
    }
  }
  return undefined;
}

/** Exact equality of two JSON values (R4 ElementDefinition.fixed[x]). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * R4 ElementDefinition.pattern[x]: every property the pattern has is present in the instance with
 * the same value; an array in the pattern is matched when each of its items matches some item of
 * the instance's array.
 */
export function matchesPattern(actual: unknown, pattern: unknown): boolean {
  if (Array.isArray(pattern)) {
    return Array.isArray(actual) && pattern.every((p) => actual.some((a) => matchesPattern(a, p)));
  }
  if (isObject(pattern)) {
    if (!isObject(actual)) return false;
    for (const k of Object.keys(pattern)) {
      if (!Object.hasOwn(actual, k) || !matchesPattern(actual[k], pattern[k])) return false;
    }
    return true;
  }
  return actual === pattern;
}

/**
 * The values reached from `start` along a dotted path of property names, arrays flattened at
 * every step (FHIRPath navigation without functions). An empty path is the start itself.
 */
export function valuesAt(start: unknown, path: readonly string[]): unknown[] {
  let current: unknown[] = Array.isArray(start) ? start : [start];
  for (const step of path) {
    const next: unknown[] = [];
    for (const v of current) {
      if (!isObject(v)) continue;
      const child = v[step];
      if (Array.isArray(child)) next.push(...child);
      else if (child !== undefined && child !== null) next.push(child);
    }
    current = next;
  }
  return current;
}

/**
 * The occurrences of one element in a parent object. `keyTypes` maps each JSON key the element
 * can take (valueQuantity, valueString, ... for a choice) to its type. Also returns how many
 * occurrences there are, counting primitives present only as `_name` (an id or extensions).
 */
export function itemsOf(parent: Obj, parentPath: string, keyTypes: ReadonlyMap<string, string>): { items: Item[]; count: number } {
  const items: Item[] = [];
  let count = 0;
  for (const [key, type] of keyTypes) {
    const raw = parent[key];
    const shadow = parent[`_${key}`];
    if (raw === undefined || raw === null) {
      if (shadow !== undefined && shadow !== null) count += Array.isArray(shadow) ? shadow.length : 1;
      continue;
    }
    if (Array.isArray(raw)) {
      raw.forEach((value, i) => {
        if (value !== null && value !== undefined) items.push({ value, key, path: `${parentPath}.${key}[${i}]`, type });
      });
      count += raw.length;
    } else {
      items.push({ value: raw, key, path: `${parentPath}.${key}`, type });
      count += 1;
    }
  }
  return { items, count };
}
