/**
 * Token rows under derived parameter names, for modifiers that need more than a parameter's own
 * rows. They live in search_token next to the ordinary rows (a ':' never occurs in a parameter
 * code, so the names cannot collide) and are replaced and removed with them:
 *
 * - `[param]:of-type`, one row per coding of Identifier.type of an Identifier-valued token
 *   parameter: system and code are the type coding's, text is Identifier.value
 *   (`identifier:of-type=system|code|value`).
 * - `[param]:identifier`, one row per Reference.identifier of a reference parameter: system is
 *   Identifier.system, code is Identifier.value, text is Identifier.type.text
 *   (`subject:identifier=system|value`, matched like any token).
 */

type TokenRow = [string, string | null, string | null, string | null];
type Obj = Record<string, any>;

export const ofTypeParam = (code: string): string => `${code}:of-type`;
export const identifierParam = (code: string): string => `${code}:identifier`;

/** The :of-type rows of one Identifier. */
export function ofTypeRows(code: string, identifier: Obj): TokenRow[] {
  if (typeof identifier?.value !== 'string') return [];
  const codings: Obj[] = identifier.type?.coding ?? [];
  return codings.filter((c) => c.code).map((c) => [ofTypeParam(code), c.system ?? null, c.code, identifier.value]);
}

/** The :identifier row of one Reference, when it carries a logical identifier. */
export function referenceIdentifierRows(code: string, reference: Obj): TokenRow[] {
  const id: Obj | undefined = reference && typeof reference === 'object' ? reference.identifier : undefined;
  if (!id || (id.value === undefined && id.system === undefined)) return [];
  return [[identifierParam(code), id.system ?? null, id.value ?? null, id.type?.text ?? null]];
}
