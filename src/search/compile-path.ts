import { evalFhirPathTyped, parseFhirPath, toTypedValue, tryGetDataType } from '@medplum/core';
import { capitalise } from '../fhir/json.js';

/** A value found by a search parameter expression, with its FHIR type name. */
export interface Found {
  type: string;
  value: unknown;
  /** For code values: the value set the element is bound to, which implies the code system. */
  binding?: string;
}

export type Extractor = (resource: Record<string, unknown>) => Found[];

interface Step {
  name: string;
  /** Type restriction from `as X`, `.as(X)` or `.ofType(X)`. */
  cast?: string;
  /** Reference target restriction from `.where(resolve() is X)`. */
  targetType?: string;
  /** Where this step finds its values, per parent type: worked out from the type schema once. */
  lookups?: Map<string, Lookup>;
}

/** The JSON properties a step reads on one parent type (several for a choice element), with their types. */
type Lookup = { prop: string; type: string; binding?: string }[];

const simpleStep = /^([a-zA-Z][a-zA-Z0-9]*)(?:\.(?:as|ofType)\(([A-Za-z]+)\))?$/;

function splitTopLevel(expr: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && expr.startsWith(sep, i)) {
      parts.push(expr.slice(start, i));
      start = i + sep.length;
    }
  }
  parts.push(expr.slice(start));
  return parts.map((p) => p.trim());
}

function stripParens(s: string): string {
  while (s.startsWith('(') && s.endsWith(')') && splitTopLevel(s.slice(1, -1), '|').length >= 1) {
    let depth = 0;
    let wraps = true;
    for (let i = 0; i < s.length - 1; i++) {
      if (s[i] === '(') depth++;
      else if (s[i] === ')') depth--;
      if (depth === 0) {
        wraps = false;
        break;
      }
    }
    if (!wraps) break;
    s = s.slice(1, -1).trim();
  }
  return s;
}

/** Parses "Type.a.b", "Type.a as X", "Type.a.as(X)", "Type.a.where(resolve() is X)"; else undefined. */
function parseSimple(part: string, resourceType: string): Step[] | 'other-type' | undefined {
  let s = stripParens(part);
  let cast: string | undefined;
  const asMatch = /^(.*?)\s+as\s+([A-Za-z]+)$/.exec(s);
  if (asMatch) {
    s = stripParens(asMatch[1]);
    cast = asMatch[2];
  }
  let targetType: string | undefined;
  const whereMatch = /^(.*)\.where\(resolve\(\) is ([A-Za-z]+)\)$/.exec(s);
  if (whereMatch) {
    s = whereMatch[1];
    targetType = whereMatch[2];
  }
  const dot = s.indexOf('.');
  if (dot < 0) return s === resourceType && !cast && !targetType ? [] : undefined; // the resource itself
  const root = s.slice(0, dot);
  if (root !== resourceType && root !== 'Resource' && root !== 'DomainResource') {
    return /^[A-Z][A-Za-z]+$/.test(root) ? 'other-type' : undefined;
  }
  const rest = s.slice(dot + 1);
  const rawSteps = rest.split(/\.(?![a-zA-Z]+\()/);
  const steps: Step[] = [];
  for (const raw of rawSteps) {
    const m = simpleStep.exec(raw);
    if (!m) return undefined;
    steps.push({ name: m[1], cast: m[2] });
  }
  const last = steps[steps.length - 1];
  if (cast) last.cast = cast;
  if (targetType) last.targetType = targetType;
  return steps;
}


/** The properties one step reads on a parent type, following the type schema; cached on the step. */
function lookup(step: Step, parentType: string): Lookup {
  const cached = step.lookups?.get(parentType);
  if (cached) return cached;
  const schema = tryGetDataType(parentType);
  if (!schema) return [];
  // R4 expressions spell some primitive casts capitalised: value.as(DateTime)
  const cast = step.cast?.toLowerCase();
  const accepts = (type: string) => !cast || type.toLowerCase() === cast || (cast === 'datetime' && type === 'instant');
  const direct = schema.elements[step.name];
  let found: Lookup;
  if (direct) {
    const type = direct.type[0]?.code ?? 'Element';
    found = accepts(type) ? [{ prop: step.name, type, binding: type === 'code' ? direct.binding?.valueSet : undefined }] : [];
  } else {
    const choice = schema.elements[step.name + '[x]'];
    found = (choice?.type ?? []).filter((t) => accepts(t.code)).map((t) => ({ prop: step.name + capitalise(t.code), type: t.code }));
  }
  (step.lookups ??= new Map()).set(parentType, found);
  return found;
}

/** Walks one step of a path on typed values. */
function walk(items: Found[], step: Step): Found[] {
  const out: Found[] = [];
  for (const item of items) {
    const obj = item.value as Record<string, unknown>;
    if (!obj || typeof obj !== 'object') continue;
    for (const { prop, type, binding } of lookup(step, item.type)) {
      const v = obj[prop];
      if (v === undefined) continue;
      for (const x of Array.isArray(v) ? v : [v]) {
        if (step.targetType) {
          const ref = (x as { reference?: string })?.reference;
          if (!ref || !ref.split('/').includes(step.targetType)) continue;
        }
        out.push({ type, value: x, binding });
      }
    }
  }
  return out;
}

/**
 * Compiles a SearchParameter expression for one resource type into a fast extractor when every
 * branch is a plain path (the large majority); otherwise falls back to full FHIRPath.
 */
export function compileExtractor(expression: string, resourceType: string): Extractor {
  const branches: Step[][] = [];
  for (const part of splitTopLevel(expression, '|')) {
    const steps = parseSimple(part, resourceType);
    if (steps === 'other-type') continue;
    if (steps === undefined) return fhirPathExtractor(expression);
    branches.push(steps);
  }
  return pathExtractor(branches, resourceType);
}

/**
 * Compiles an expression relative to an element of the given type (a composite parameter's
 * component, "value.as(Quantity)" on an Observation.component), the same way.
 */
export function compileRelative(expression: string, contextType: string): Extractor {
  const branches: Step[][] = [];
  for (const part of splitTopLevel(expression, '|')) {
    const steps = /^[a-z]/.test(part) ? parseSimple(`${contextType}.${part}`, contextType) : undefined;
    if (steps === undefined || steps === 'other-type') return fhirPathExtractor(expression, contextType);
    branches.push(steps);
  }
  return pathExtractor(branches, contextType);
}

function pathExtractor(branches: Step[][], type: string): Extractor {
  return (input) => {
    const out: Found[] = [];
    for (const steps of branches) {
      let items: Found[] = [{ type, value: input }];
      for (const step of steps) items = walk(items, step);
      out.push(...items);
    }
    return out;
  };
}

/** Parsed once here; evaluated on every write. */
function fhirPathExtractor(expression: string, contextType?: string): Extractor {
  const parsed = parseFhirPath(expression);
  return (input) =>
    evalFhirPathTyped(parsed, [contextType ? { type: contextType, value: input } : toTypedValue(input)]).map((tv) => ({ type: tv.type, value: tv.value }));
}
