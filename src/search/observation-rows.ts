import type { IndexRows } from './index-values.js';

/** The observation_index rows of one Observation, as parallel column arrays for unnest. */
export interface ObservationRows {
  targetType: string | null;
  targetId: string | null;
  systems: (string | null)[];
  codes: (string | null)[];
  /** Every 'system|code' of Observation.code, sorted (stored on the first row only). */
  codeSet: string[];
  /** The codes of Observation.category, without their systems. */
  categories: string[];
  lo: string | null;
  hi: string | null;
}

export const codingKey = (system: string | null, code: string) => `${system ?? ''}|${code}`;

/**
 * Derives the denormalised Observation rows from the generic index values already extracted
 * (parameters subject, code, category and date), so both agree by construction. One row per distinct
 * coding; an Observation without a coded code still gets one row, with a NULL code.
 */
export function observationRows(index: IndexRows): ObservationRows {
  const subject = index.reference.find((r) => r[0] === 'subject' && r[2] !== null);
  const date = index.date.find((r) => r[0] === 'date');
  const seen = new Map<string, [string | null, string]>();
  for (const [param, system, code] of index.token) {
    if (param === 'code' && code !== null) seen.set(codingKey(system, code), [system, code]);
  }
  const codings = [...seen.values()];
  return {
    targetType: subject?.[1] ?? null,
    targetId: subject?.[2] ?? null,
    systems: codings.length ? codings.map((c) => c[0]) : [null],
    codes: codings.length ? codings.map((c) => c[1]) : [null],
    codeSet: [...seen.keys()].sort(),
    categories: [...new Set(index.token.filter((r) => r[0] === 'category' && r[2] !== null).map((r) => r[2] as string))],
    lo: date?.[1] ?? null,
    hi: date?.[2] ?? null,
  };
}
