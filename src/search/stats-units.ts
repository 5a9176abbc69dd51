import { FhirError } from '../fhir/outcome.js';
import { decimal15, lookupUnit } from './ucum.js';

/**
 * How the values of one group in one unit enter the statistics: converted to `target` as
 * `value * a + b` (decimal strings), or left out when target is null (a code that is not UCUM).
 */
export interface Conversion {
  group: string;
  unit: string;
  target: string | null;
  a: string | null;
  b: string | null;
}

/** One group's values in one unit, as the first pass found them. */
export interface UnitCount {
  group: string;
  unit: string;
  count: number;
}

/**
 * The conversions that give every group a single UCUM unit: codes that are not UCUM are left out;
 * several units of one dimension are converted to the one most values have (on a tie, the first
 * in code order). Units that cannot be converted to one another are refused with an
 * OperationOutcome rather than mixed. No conversions when every group already has one valid unit.
 */
export function reconcileUnits(found: UnitCount[]): Conversion[] {
  const byGroup = new Map<string, UnitCount[]>();
  for (const f of found) byGroup.set(f.group, [...(byGroup.get(f.group) ?? []), f]);
  const out: Conversion[] = [];
  for (const [group, units] of byGroup) {
    const valid = units.filter((u) => lookupUnit(u.unit) !== 'invalid');
    for (const u of units) if (!valid.includes(u)) out.push({ group, unit: u.unit, target: null, a: null, b: null });
    if (valid.length < 2) continue;
    const target = [...valid].sort((x, y) => y.count - x.count || x.unit.localeCompare(y.unit))[0];
    const to = lookupUnit(target.unit);
    for (const u of valid) {
      if (u === target) continue;
      const from = lookupUnit(u.unit);
      if (typeof from !== 'object' || typeof to !== 'object' || from.unit !== to.unit) {
        const names = valid.map((v) => v.unit).sort().join(', ');
        throw new FhirError('processing', `The values of ${group.replace(/^\|/, '')} come in units that do not convert to one another (${names}); statistics over them would mix units`);
      }
      out.push({ group, unit: u.unit, target: target.unit, a: decimal15(from.scale / to.scale), b: decimal15((from.offset - to.offset) / to.scale) });
    }
  }
  return out;
}
