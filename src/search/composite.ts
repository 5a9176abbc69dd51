import { getSearchParameters } from '@medplum/core';
import type { SearchParameter } from '@medplum/fhirtypes';
import { compileExtractor, compileRelative, type Extractor, type Found } from './compile-path.js';

/** The types a composite's second component may have; the first is always a token. */
export type PartType = 'token' | 'quantity' | 'date' | 'string';
const partTypes: readonly string[] = ['token', 'quantity', 'date', 'string'];

/** Types a quantity component indexes; a component that may also be a Range is not supported. */
const quantityTypes = new Set(['Quantity', 'Age', 'Count', 'Distance', 'Duration', 'SimpleQuantity', 'MoneyQuantity']);

/**
 * A composite parameter Serium supports: a token paired with a token, quantity, date or string,
 * both found on the same element (one Observation.component, one useContext). Anything else
 * (three components, a reference first, components reaching outside the element) has no shape.
 */
export interface CompositeShape {
  /** The composite's own expression: the elements each pair is taken from. */
  expression: string;
  /** The token component, relative to the element. */
  first: string;
  /** The second component, relative to the element. */
  second: { type: PartType; expression: string };
}

const shapes = new WeakMap<SearchParameter, CompositeShape | null>();

export function compositeShape(sp: SearchParameter): CompositeShape | undefined {
  let shape = shapes.get(sp);
  if (shape === undefined) shapes.set(sp, (shape = computeShape(sp) ?? null));
  return shape ?? undefined;
}

/** Whether a composite parameter is one Serium answers. */
export const isSupportedComposite = (sp: SearchParameter): boolean => !!compositeShape(sp);

function computeShape(sp: SearchParameter): CompositeShape | undefined {
  if ((sp.type as string) !== 'composite' || !sp.expression || sp.component?.length !== 2) return undefined;
  const [a, b] = sp.component;
  const first = componentParam(sp, a.definition);
  const second = componentParam(sp, b.definition);
  if (first?.type !== 'token' || !second || !partTypes.includes(second.type as string)) return undefined;
  if (!a.expression || !b.expression || `${a.expression}${b.expression}`.includes('%')) return undefined;
  if (second.type === 'quantity') {
    const casts = [...b.expression.matchAll(/(?:\bas|ofType)[ (]([A-Za-z]+)/g)].map((m) => m[1]);
    if (casts.some((t) => !quantityTypes.has(t))) return undefined;
  }
  return { expression: sp.expression, first: a.expression, second: { type: second.type as PartType, expression: b.expression } };
}

/** The search parameter a component's definition names, among those of the composite's bases. */
function componentParam(sp: SearchParameter, url: string | undefined): SearchParameter | undefined {
  for (const base of sp.base ?? []) {
    for (const candidate of Object.values(getSearchParameters(base as string) ?? {})) {
      if (candidate.url === url) return candidate;
    }
  }
  return undefined;
}

/** Finds a composite's elements in a resource, and each component's values in an element. */
export interface CompositeExtractor {
  code: string;
  shape: CompositeShape;
  elements: Extractor;
  first(element: Found): Found[];
  second(element: Found): Found[];
}

export function compileComposite(sp: SearchParameter, resourceType: string): CompositeExtractor | undefined {
  const shape = compositeShape(sp);
  if (!shape) return undefined;
  const relative = (expression: string) => {
    const byType = new Map<string, Extractor>();
    return (element: Found) => {
      let extract = byType.get(element.type);
      if (!extract) byType.set(element.type, (extract = compileRelative(expression, element.type)));
      return extract(element.value as Record<string, unknown>);
    };
  };
  return {
    code: sp.code as string,
    shape,
    elements: compileExtractor(shape.expression, resourceType),
    first: relative(shape.first),
    second: relative(shape.second.expression),
  };
}
