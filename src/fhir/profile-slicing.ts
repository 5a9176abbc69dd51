import type { ElementDefinitionSlicingDiscriminator } from '@medplum/fhirtypes';
import type { Draft } from './profile-compile.js';
import { deepEqual, isObject, type Item, matchesPattern, specifiedValue, valuesAt } from './profile-values.js';
import { hasCode, type Terminology } from './terminology.js';

/** What a value at the discriminator path must be for an item to belong to a slice. */
export interface Expectation {
  fixed?: unknown;
  pattern?: unknown;
  codes?: ReadonlySet<string>;
}

/** One discriminator of one slice, compiled (R4 profiling.html#discriminator). */
export type Matcher =
  | { kind: 'value'; path: string[]; expect: Expectation[] }
  | { kind: 'type'; types: ReadonlySet<string> }
  | { kind: 'exists'; path: string[]; present: boolean };

/**
 * The matchers that assign items to a slice, or why the slicing cannot be checked. Discriminators
 * of type value and pattern take the fixed value, pattern or required binding found at the
 * discriminator path inside the slice; a path through a sliced element (code.coding.code, where
 * code.coding has a required slice fixing its code) uses the required slices; an extension slice
 * without a fixed url is matched by the URL of its type profile. Type discriminators
 * are supported on $this, exists on any path; profile and other paths are not.
 */
export function compileMatchers(
  slice: Draft,
  discriminators: ElementDefinitionSlicingDiscriminator[],
  terminology: Terminology,
): Matcher[] | string {
  const matchers: Matcher[] = [];
  for (const d of discriminators) {
    const path = !d.path || d.path === '$this' ? [] : d.path.split('.');
    if (path.some((step) => !/^[A-Za-z][A-Za-z0-9]*$/.test(step))) return `discriminator path ${d.path} is not a plain path`;
    if (d.type === 'value' || d.type === 'pattern') {
      const expect = expectations(slice, path, terminology);
      // An extension slice names its extension by type profile; that profile's URL is its url.
      const extension = slice.el.type?.length === 1 && slice.el.type[0].code === 'Extension' ? slice.el.type[0].profile : undefined;
      if (!expect.length && d.path === 'url' && extension?.length === 1) expect.push({ fixed: extension[0].split('|')[0] });
      if (!expect.length) return `slice ${slice.el.sliceName} fixes nothing at ${d.path}`;
      matchers.push({ kind: 'value', path, expect });
    } else if (d.type === 'type' && !path.length) {
      matchers.push({ kind: 'type', types: new Set((slice.el.type ?? []).map((t) => t.code)) });
    } else if (d.type === 'exists') {
      const target = descend(slice, path)[0];
      if (!target) return `slice ${slice.el.sliceName} does not define ${d.path}`;
      const present = (target.el.min ?? 0) >= 1 ? true : target.el.max === '0' ? false : undefined;
      if (present === undefined) return `slice ${slice.el.sliceName} neither requires nor forbids ${d.path}`;
      matchers.push({ kind: 'exists', path, present });
    } else {
      return `${d.type} discriminator on ${d.path} is not supported`;
    }
  }
  return matchers;
}

/** Whether an item belongs to a slice: every discriminator matches. */
export function sliceMatches(matchers: readonly Matcher[], item: Item): boolean {
  for (const m of matchers) {
    if (m.kind === 'type') {
      if (!m.types.has(item.type)) return false;
      continue;
    }
    const values = m.path.length ? valuesAt(item.value, m.path) : [item.value];
    if (m.kind === 'exists') {
      if (values.length > 0 !== m.present) return false;
      continue;
    }
    for (const e of m.expect) {
      if (!values.some((v) => expected(v, e))) return false;
    }
  }
  return true;
}

function expected(value: unknown, e: Expectation): boolean {
  if (e.fixed !== undefined) return deepEqual(value, e.fixed);
  if (e.pattern !== undefined) return matchesPattern(value, e.pattern);
  return !!e.codes && inValueSet(value, e.codes);
}

function inValueSet(value: unknown, codes: ReadonlySet<string>): boolean {
  const has = (system: unknown, code: unknown) =>
    typeof code === 'string' && hasCode(codes, typeof system === 'string' ? system : undefined, code);
  if (typeof value === 'string') return has(undefined, value);
  if (!isObject(value)) return false;
  if (Array.isArray(value.coding)) return value.coding.some((c) => isObject(c) && has(c.system, c.code));
  return has(value.system, value.code);
}

/** The drafts a path leads to inside a slice, going into the required slices of sliced elements. */
function descend(from: Draft, path: readonly string[]): Draft[] {
  let current = [from];
  for (const step of path) {
    const next: Draft[] = [];
    for (const d of current) {
      const child = d.children.find((c) => {
        const last = c.el.path.slice(c.el.path.lastIndexOf('.') + 1);
        return last === step || last === `${step}[x]`;
      });
      if (!child) continue;
      next.push(child, ...requiredSlices(child));
    }
    current = next;
  }
  return current;
}

function requiredSlices(d: Draft): Draft[] {
  const required = d.slices.filter((s) => (s.el.min ?? 0) >= 1);
  return required.length ? required : d.slices.length === 1 ? d.slices : [];
}

/**
 * The fixed values, patterns and required-binding codes that the slice's definitions put at the
 * path. A fixed value or pattern met on the way (patternCodeableConcept on code, discriminator
 * code.coding.code) yields the parts of it at the rest of the path.
 */
function expectations(slice: Draft, path: readonly string[], terminology: Terminology): Expectation[] {
  const out: Expectation[] = [];
  const walk = (d: Draft, i: number) => {
    const fixed = specifiedValue(d.el, 'fixed');
    const pattern = specifiedValue(d.el, 'pattern');
    if (fixed !== undefined || pattern !== undefined) {
      if (i === path.length) out.push(fixed !== undefined ? { fixed } : { pattern });
      else for (const v of valuesAt(fixed ?? pattern, path.slice(i))) out.push(fixed !== undefined ? { fixed: v } : { pattern: v });
      return;
    }
    if (i === path.length) {
      const b = d.el.binding;
      const codes = b?.strength === 'required' && b.valueSet ? terminology.codes(b.valueSet) : null;
      if (codes) out.push({ codes });
      return;
    }
    for (const next of descend(d, [path[i]])) walk(next, i + 1);
  };
  walk(slice, 0);
  return out;
}
