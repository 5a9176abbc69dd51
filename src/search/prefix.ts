import { badRequest } from '../fhir/outcome.js';

export const prefixes = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'] as const;
export type Prefix = (typeof prefixes)[number];

/** Splits "ge2024-01-01" into its prefix (default eq) and value. */
export function splitPrefix(raw: string): { prefix: Prefix; value: string } {
  const p = raw.slice(0, 2);
  if ((prefixes as readonly string[]).includes(p) && raw.length > 2 && /[\d-]/.test(raw[2])) {
    return { prefix: p as Prefix, value: raw.slice(2) };
  }
  return { prefix: 'eq', value: raw };
}

/**
 * SQL for comparing a stored range [lo, hi) to a search range [vlo, vhi) with a prefix,
 * following the R4 search rules for ranges. The search bounds are placeholders made on demand.
 */
export function rangeCondition(prefix: Prefix, lo: string, hi: string, vlo: () => string, vhi: () => string): string {
  const contained = () => `(${lo} >= ${vlo()} AND ${hi} <= ${vhi()})`;
  switch (prefix) {
    case 'eq':
      return contained();
    case 'ne':
      return `NOT ${contained()}`;
    case 'gt':
      return `${hi} > ${vhi()}`;
    case 'lt':
      return `${lo} < ${vlo()}`;
    case 'ge':
      return `(${hi} > ${vhi()} OR ${contained()})`;
    case 'le':
      return `(${lo} < ${vlo()} OR ${contained()})`;
    case 'sa':
      return `${lo} >= ${vhi()}`;
    case 'eb':
      return `${hi} <= ${vlo()}`;
    case 'ap':
      return `(${lo} < ${vhi()} AND ${hi} > ${vlo()})`;
    default:
      throw badRequest(`Unknown prefix ${prefix as string}`);
  }
}
