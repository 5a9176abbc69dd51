import { getSearchParameterDetails } from '@medplum/core';
import type { SearchParameter } from '@medplum/fhirtypes';
import { isRowParam } from './row-params.js';
import { isSupportedComposite } from './composite.js';

/**
 * Modifiers accepted per parameter type, besides :missing (accepted on all). :of-type applies only
 * to token parameters whose values are Identifiers; a reference parameter also takes its target
 * types as modifiers (subject:Patient). The engine and the CapabilityStatement both read this table
 * through modifiersFor.
 */
export const supportedModifiers: Readonly<Record<string, readonly string[]>> = {
  token: ['not', 'text', 'in', 'not-in', 'of-type'],
  string: ['exact', 'contains'],
  reference: ['identifier'],
  date: [],
  number: [],
  quantity: [],
  uri: ['below', 'above'],
  composite: [],
};

/** Parameters without an expression, matched against the stored resource text (param-content.ts). */
export const textParams: readonly string[] = ['_text', '_content'];

/** Whether the engine answers a parameter: _id and _lastUpdated, _text and _content, or an indexed expression of a supported type. */
export function isSearchable(sp: SearchParameter): boolean {
  const code = sp.code as string;
  if (isRowParam(code) || textParams.includes(code)) return true;
  return !!sp.expression && (sp.type as string) in supportedModifiers && (sp.type !== 'composite' || isSupportedComposite(sp));
}

const identifierValued = new Map<string, boolean>();

/** Whether a token parameter of a resource type finds Identifier values (so :of-type applies). */
function findsIdentifiers(resourceType: string, sp: SearchParameter): boolean {
  const key = `${resourceType}.${sp.code}.${sp.url}`;
  let found = identifierValued.get(key);
  if (found === undefined) {
    try {
      const details = getSearchParameterDetails(resourceType, sp);
      found = (details.elementDefinitions ?? []).some((e) => e.type.some((t) => t.code === 'Identifier'));
    } catch {
      found = false;
    }
    identifierValued.set(key, found);
  }
  return found;
}

/** The modifiers (without the colon) one parameter of one resource type accepts. */
export function modifiersFor(resourceType: string, sp: SearchParameter): string[] {
  const code = sp.code as string;
  if (!isSearchable(sp)) return [];
  if (isRowParam(code) || textParams.includes(code)) return ['missing'];
  const type = sp.type as string;
  const own = supportedModifiers[type].filter((m) => m !== 'of-type' || findsIdentifiers(resourceType, sp));
  const targets = type === 'reference' ? ((sp.target ?? []) as string[]) : [];
  return ['missing', ...own, ...targets];
}

/**
 * The modifiers as a sentence for the CapabilityStatement's searchParam.documentation (R4 has no
 * element for them). Long target lists are summarised.
 */
export function modifiersSentence(resourceType: string, sp: SearchParameter): string {
  const all = modifiersFor(resourceType, sp);
  const targets = all.filter((m) => /^[A-Z]/.test(m));
  const listed = targets.length > 12 ? [...all.filter((m) => !/^[A-Z]/.test(m)), `[type] (any of its ${targets.length} target types)`] : all;
  return listed.length ? `Modifiers: ${listed.map((m) => `:${m}`).join(', ')}.` : 'Modifiers: none.';
}
