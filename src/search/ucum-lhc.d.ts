// The part of @lhncbc/ucum-lhc (a CommonJS package without type declarations) that Serium uses.
declare module '@lhncbc/ucum-lhc' {
  interface BaseUnitsResult {
    /** 'succeeded', 'invalid' (not a UCUM unit), 'failed' (an arbitrary unit) or 'error'. */
    status: string;
    msg: string[];
    /** The given value expressed in the base units. */
    magnitude?: number;
    /** Base unit symbol to exponent, e.g. { g: 1, m: -3 } for mg/dL. */
    unitToExp?: Record<string, number>;
    /** A unit converted by a function rather than a factor (Cel, [degF], [pH], dB). */
    fromUnitIsSpecial?: boolean;
  }
  interface Utils {
    convertToBaseUnits(unit: string, value: number): BaseUnitsResult;
  }
  export const UcumLhcUtils: { getInstance(): Utils };
}
