import { UcumLhcUtils } from '@lhncbc/ucum-lhc';

export const ucumSystem = 'http://unitsofmeasure.org';

/**
 * A unit's canonical form: the UCUM base units it is made of (for example "g.m-3" for mg/dL) and
 * the map from a value in the unit to the value in those base units, `offset + value * scale`.
 * Multiplicative units have offset 0; Cel and [degF] have an offset.
 */
export interface Canonical {
  unit: string;
  scale: number;
  offset: number;
}

/**
 * What a unit code is: not UCUM at all, UCUM but without a canonical form Serium can compare on
 * (arbitrary units such as [IU], and special units whose conversion is not linear, such as [pH]
 * and dB: those match by their exact code only), or a unit with a canonical form.
 */
export type UnitLookup = 'invalid' | 'exact-only' | Canonical;

// The unit tables load once when this module is first imported (some 25 ms); every lookup after
// that uses the same instance. Results are cached per code: a conversion itself parses the code.
const utils = UcumLhcUtils.getInstance();
const cache = new Map<string, UnitLookup>();
const cacheLimit = 5000;

export function lookupUnit(code: string): UnitLookup {
  let found = cache.get(code);
  if (found === undefined) {
    found = computeLookup(code);
    if (cache.size >= cacheLimit) cache.clear();
    cache.set(code, found);
  }
  return found;
}

function computeLookup(code: string): UnitLookup {
  if (!code) return 'invalid';
  const at = (v: number) => {
    try {
      return utils.convertToBaseUnits(code, v);
    } catch {
      return undefined;
    }
  };
  const one = at(1);
  if (!one || one.status === 'invalid' || one.status === 'error') return 'invalid';
  if (one.status !== 'succeeded' || typeof one.magnitude !== 'number' || !one.unitToExp) return 'exact-only';
  const unit = canonicalUnit(one.unitToExp);
  if (!one.fromUnitIsSpecial) return one.magnitude > 0 ? { unit, scale: one.magnitude, offset: 0 } : 'exact-only';
  // A special unit is compared in base units only when its conversion is increasing and affine
  // (the temperatures): then range bounds and the ordering of prefixes carry over unchanged.
  const zero = at(0)?.magnitude;
  const two = at(2)?.magnitude;
  if (typeof zero !== 'number' || typeof two !== 'number') return 'exact-only';
  const scale = one.magnitude - zero;
  const affine = Math.abs(two - one.magnitude - scale) <= 1e-9 * Math.abs(scale);
  return scale > 0 && affine ? { unit, scale, offset: zero } : 'exact-only';
}

function canonicalUnit(unitToExp: Record<string, number>): string {
  const parts = Object.keys(unitToExp)
    .filter((u) => unitToExp[u] !== 0)
    .sort()
    .map((u) => (unitToExp[u] === 1 ? u : `${u}${unitToExp[u]}`));
  return parts.length ? parts.join('.') : '1';
}

/**
 * A value in base units, as a decimal string for a numeric column. Rounded to 15 significant
 * digits so that binary floating point noise (100 mg/dL is 1000.0000000000001 g.m-3) cannot
 * decide a comparison.
 */
export function toCanonical(value: number, c: Canonical): string {
  return decimal15(c.offset + value * c.scale);
}

/** A computed number as a decimal string of at most 15 significant digits. */
export const decimal15 = (v: number): string => String(Number(v.toPrecision(15)));

/** The canonical value and unit of a stored quantity, when it is a UCUM quantity with one. */
export function canonicalOf(value: number, system: string | null, code: string | null): [string, string] | [null, null] {
  if (!code || (system !== null && system !== ucumSystem)) return [null, null];
  const c = lookupUnit(code);
  if (typeof c !== 'object') return [null, null];
  return [toCanonical(value, c), c.unit];
}
