import { tryGetDataType } from '@medplum/core';
import type { ElementDefinition, StructureDefinition } from '@medplum/fhirtypes';
import fhirpath from 'fhirpath';
import r4model from 'fhirpath/fhir-context/r4';
import { compileMatchers, type Matcher } from './profile-slicing.js';
import { capitalise, specifiedValue } from './profile-values.js';
import type { Terminology } from './terminology.js';

type BaseElement = NonNullable<ReturnType<typeof tryGetDataType>>['elements'][string];

/** A compiled FHIRPath invariant: one evaluator per type the element can take. */
export interface Invariant {
  key: string;
  human: string;
  severity: 'error' | 'warning';
  byType: ReadonlyMap<string, (value: unknown, env: Record<string, unknown>) => unknown[]>;
}

/** What a profile asks of one element beyond the base definition, and of its constrained children. */
export interface ElementRule {
  id: string;
  path: string;
  /** The property name, without [x]. */
  name: string;
  /** The JSON keys the element can appear under, each with its type. */
  keyTypes: ReadonlyMap<string, string>;
  /** Whether the profile narrows the base cardinality (always, for a slice). */
  cardinality: boolean;
  min: number;
  max: number;
  /** The types left to a choice element, when the profile narrows them. */
  allowedTypes?: ReadonlySet<string>;
  fixed?: unknown;
  pattern?: unknown;
  /** A required binding the base does not have; `types` limits it to some of a choice's types. */
  binding?: { valueSet: string; codes: ReadonlySet<string>; types?: ReadonlySet<string> };
  /** Resource types a Reference may point to, when the profile narrows them. */
  targets?: ReadonlySet<string>;
  invariants: Invariant[];
  children: ElementRule[];
  slicing?: Slicing;
}

export interface SliceRule extends ElementRule {
  sliceName: string;
  matchers: Matcher[];
}

export interface Slicing {
  rules: 'open' | 'closed' | 'openAtEnd';
  ordered: boolean;
  slices: SliceRule[];
}

export interface CompiledProfile {
  url: string;
  type: string;
  root: ElementRule;
  /** Parts of the profile this validator does not enforce, one line each. */
  unsupported: string[];
}

/** A snapshot element with the elements nested under it and its slices, before compiling. */
export interface Draft {
  el: ElementDefinition;
  children: Draft[];
  slices: Draft[];
}

export interface CompileOptions {
  terminology: Terminology;
  /** The resource type a profile URL constrains, for reference targets naming a profile. */
  profileType?: (url: string) => string | undefined;
}

interface Context extends CompileOptions {
  unsupported: string[];
}

/**
 * Compiles a profile's snapshot into a tree holding only the elements it constrains beyond the
 * base definitions (loaded into @medplum/core by loadDefinitions), with every FHIRPath invariant
 * compiled once.
 */
export function compileProfile(sd: StructureDefinition, options: CompileOptions): CompiledProfile {
  const elements = sd.snapshot?.element ?? [];
  if (!sd.url || !sd.type || !elements.length) throw new Error(`Profile ${sd.url ?? sd.id} has no snapshot`);
  const schema = tryGetDataType(sd.type);
  if (!schema) throw new Error(`Profile ${sd.url}: the base definition of ${sd.type} is not loaded`);
  const ctx: Context = { ...options, unsupported: [] };
  const tree = draftTree(elements);
  const root = compileElement(tree, ctx, { isRoot: true, inherited: new Set((schema.constraints ?? []).map((c) => c.key)) });
  return { url: sd.url, type: sd.type, root: root as ElementRule, unsupported: ctx.unsupported };
}

/** Nests the snapshot's elements by id: "a.b:s.c" is child c of slice s of element a.b. */
function draftTree(elements: ElementDefinition[]): Draft {
  const byId = new Map<string, Draft>();
  const root: Draft = { el: elements[0], children: [], slices: [] };
  byId.set(elements[0].id ?? elements[0].path, root);
  for (const el of elements.slice(1)) {
    const id = el.id ?? el.path;
    const draft: Draft = { el, children: [], slices: [] };
    byId.set(id, draft);
    const cut = id.lastIndexOf('.');
    const parentId = id.slice(0, cut);
    const last = id.slice(cut + 1);
    const colon = last.indexOf(':');
    if (colon < 0) {
      byId.get(parentId)?.children.push(draft);
    } else {
      const slash = last.lastIndexOf('/'); // a reslice "name:slice/reslice" belongs to "name:slice"
      byId.get(`${parentId}.${last.slice(0, slash > colon ? slash : colon)}`)?.slices.push(draft);
    }
  }
  return root;
}

const parseMax = (max: string | undefined, fallback: number) => (max === undefined ? fallback : max === '*' ? Infinity : Number(max));
const stripVersion = (url: string | undefined) => url?.split('|')[0];
const isBackbone = (t: string) => t === 'BackboneElement' || t === 'Element';

/** The base (unprofiled) definition of an element, from its ElementDefinition.base.path. */
function baseElement(path: string): BaseElement | undefined {
  const [typeName, ...steps] = path.split('.');
  let schema = tryGetDataType(typeName);
  for (let i = 0; schema && i < steps.length; i++) {
    const el = Object.hasOwn(schema.elements, steps[i]) ? schema.elements[steps[i]] : undefined;
    if (!el || i === steps.length - 1) return el;
    schema = tryGetDataType(el.type[0]?.code ?? '');
  }
  return undefined;
}

function typeCode(t: { code?: string }): string {
  const code = t.code ?? '';
  return code.startsWith('http://hl7.org/fhirpath/System.') ? code.slice(31).toLowerCase() : code;
}

interface Where {
  isRoot?: boolean;
  isSlice?: boolean;
  /** Constraint keys already evaluated on the same values: the base's, or the sliced element's. */
  inherited: ReadonlySet<string>;
}

function compileElement(draft: Draft, ctx: Context, where: Where): ElementRule | SliceRule | undefined {
  const el = draft.el;
  const path = el.path;
  const last = path.slice(path.lastIndexOf('.') + 1);
  const choice = last.endsWith('[x]');
  const name = choice ? last.slice(0, -3) : last;
  const base = where.isRoot ? undefined : baseElement(el.base?.path ?? path);
  const types = (el.type ?? []).map(typeCode);
  const baseTypes = base?.type.map((t) => t.code) ?? types;

  const keyTypes = new Map<string, string>();
  if (choice) for (const t of new Set([...baseTypes, ...types])) keyTypes.set(name + capitalise(t), t);
  else keyTypes.set(name, isBackbone(types[0] ?? 'BackboneElement') ? 'BackboneElement' : types[0]);

  const min = el.min ?? 0;
  const max = parseMax(el.max, Infinity);
  const cardinality =
    !!where.isSlice || min > (el.base?.min ?? base?.min ?? 0) || max < parseMax(el.base?.max, base?.max ?? Infinity);
  const allowed = new Set(types);
  const allowedTypes = choice && !where.isSlice && types.length && baseTypes.some((t) => !allowed.has(t)) ? allowed : undefined;

  const rule: ElementRule = {
    id: el.id ?? path,
    path,
    name,
    keyTypes,
    cardinality,
    min,
    max,
    allowedTypes,
    fixed: specifiedValue(el, 'fixed'),
    pattern: specifiedValue(el, 'pattern'),
    binding: compileBinding(el, base, choice, ctx),
    targets: compileTargets(el, base, ctx),
    invariants: [],
    children: [],
  };

  const inherited = new Set(where.inherited);
  for (const c of base?.constraints ?? []) inherited.add(c.key);
  for (const t of keyTypes.values()) for (const c of tryGetDataType(t)?.constraints ?? []) inherited.add(c.key);
  const itemTypes = where.isRoot ? [path] : [...new Set(keyTypes.values())];
  for (const c of el.constraint ?? []) {
    if (!c.key || !c.expression || inherited.has(c.key)) continue;
    const invariant = compileInvariant(c.key, c.human ?? '', c.severity, c.expression, itemTypes, path, ctx);
    if (invariant) rule.invariants.push(invariant);
  }

  for (const child of draft.children) {
    const compiled = compileElement(child, ctx, { inherited: new Set() });
    if (compiled) rule.children.push(compiled);
  }
  if (el.slicing && draft.slices.length) rule.slicing = compileSlicing(draft, rule, inherited, ctx);

  if (where.isSlice) {
    return { ...rule, sliceName: el.sliceName ?? '', matchers: [] };
  }
  const constrains =
    where.isRoot ||
    cardinality ||
    allowedTypes ||
    rule.fixed !== undefined ||
    rule.pattern !== undefined ||
    rule.binding ||
    rule.targets ||
    rule.invariants.length ||
    rule.children.length ||
    rule.slicing;
  return constrains ? rule : undefined;
}

function compileSlicing(draft: Draft, rule: ElementRule, inherited: ReadonlySet<string>, ctx: Context): Slicing | undefined {
  const slicing = draft.el.slicing!;
  const evaluated = new Set([...inherited, ...rule.invariants.map((i) => i.key)]);
  const slices: SliceRule[] = [];
  for (const sliceDraft of draft.slices) {
    const matchers = compileMatchers(sliceDraft, slicing.discriminator ?? [], ctx.terminology);
    if (typeof matchers === 'string') {
      ctx.unsupported.push(`${draft.el.id}: slices not checked (${matchers})`);
      return undefined;
    }
    const slice = compileElement(sliceDraft, ctx, { isSlice: true, inherited: evaluated }) as SliceRule;
    slices.push({ ...slice, matchers });
  }
  return { rules: slicing.rules ?? 'open', ordered: !!slicing.ordered, slices };
}

/**
 * A required binding the profile adds. On a choice element, a value set made only of UCUM units
 * binds the unit of the Quantity values (R4 datatypes.html#Quantity) and not the coded types:
 * vitalsigns binds Observation.component.value[x] to "Common UCUM units", which no
 * valueCodeableConcept or valueString could ever meet.
 */
function compileBinding(el: ElementDefinition, base: BaseElement | undefined, choice: boolean, ctx: Context): ElementRule['binding'] {
  const b = el.binding;
  if (b?.strength !== 'required' || !b.valueSet) return undefined;
  const baseVs = base?.binding?.strength === 'required' ? base.binding.valueSet : undefined;
  if (stripVersion(b.valueSet) === stripVersion(baseVs)) return undefined;
  const codes = ctx.terminology.codes(b.valueSet);
  if (!codes) {
    ctx.unsupported.push(`${el.id}: required binding to ${b.valueSet} not checked (value set cannot be enumerated)`);
    return undefined;
  }
  const unitsOnly = [...codes].every((c) => c.startsWith(`${UCUM}|`));
  return { valueSet: stripVersion(b.valueSet) as string, codes, types: choice && unitsOnly ? new Set(['Quantity']) : undefined };
}

const UCUM = 'http://unitsofmeasure.org';

function compileTargets(el: ElementDefinition, base: BaseElement | undefined, ctx: Context): ReadonlySet<string> | undefined {
  const urls = el.type?.find((t) => t.code === 'Reference')?.targetProfile;
  if (!urls?.length) return undefined;
  const resourceTypes = (list: string[] | undefined) => {
    const out = new Set<string>();
    for (const url of list ?? []) {
      const t = ctx.profileType?.(stripVersion(url) as string) ?? coreResourceType(url);
      if (!t || t === 'Resource') return undefined; // unknown target, or any resource
      out.add(t);
    }
    return out;
  };
  const allowed = resourceTypes(urls);
  if (!allowed) return undefined;
  const baseAllowed = resourceTypes(base?.type.find((t) => t.code === 'Reference')?.targetProfile);
  const narrower = !baseAllowed || [...baseAllowed].some((t) => !allowed.has(t));
  return narrower ? allowed : undefined;
}

function coreResourceType(url: string): string | undefined {
  const m = /^http:\/\/hl7\.org\/fhir\/StructureDefinition\/([A-Z][A-Za-z]+)$/.exec(stripVersion(url) ?? '');
  return m && tryGetDataType(m[1]) ? m[1] : undefined;
}

function compileInvariant(
  key: string,
  human: string,
  severity: string | undefined,
  expression: string,
  itemTypes: string[],
  path: string,
  ctx: Context,
): Invariant | undefined {
  const byType = new Map<string, (value: unknown, env: Record<string, unknown>) => unknown[]>();
  try {
    for (const t of itemTypes) {
      // The resource itself needs no base; a value inside it is typed by its FHIR type, or by
      // its element path when it is a backbone element.
      const base = t === path ? undefined : isBackbone(t) ? path.replace(/:[^.]*/g, '') : t;
      const fn = fhirpath.compile(base ? { base, expression } : expression, r4model);
      byType.set(t, (value, env) => fn(value, env as never) as unknown[]);
    }
  } catch (err) {
    ctx.unsupported.push(`${path}: constraint ${key} not checked (${(err as Error).message})`);
    return undefined;
  }
  return { key, human, severity: severity === 'warning' ? 'warning' : 'error', byType };
}
