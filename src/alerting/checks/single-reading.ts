import { isAggregate } from '../../bots/aggregates.js';
import type { Observation } from '@medplum/fhirtypes';
import { usableValues } from '../../ingest/sampled-observation.js';
import type { Rule, Rules } from '../rules.js';
import { bloodPressurePanel, codesOf, componentValue, glucoseCodes, spo2Codes, usable } from './observations.js';

export interface Breach {
  rule: Rule;
  detail: string;
}

const levelRank = { info: 0, alert: 1, emergency: 2 };

/** Of several breaches of one reading in one direction, the most severe alone is raised. */
function worst(breaches: Breach[]): Breach | undefined {
  return breaches.sort((a, b) => levelRank[b.rule.level] - levelRank[a.rule.level])[0];
}

/** The reading's value, or the lowest usable sample of a SampledData window. */
function lowest(o: Observation): number | undefined {
  if (o.valueQuantity?.value !== undefined) return o.valueQuantity.value;
  const values = usableValues(o);
  return values.length ? Math.min(...values) : undefined;
}

/**
 * The rules one reading can break on its own: SpO2 too low, a hypertensive crisis, glucose too
 * high or too low (mg/dL). Aggregates and readings in error are not looked at.
 */
export function singleReadingBreaches(o: Observation, rules: Rules): Breach[] {
  if (!usable(o) || isAggregate(o)) return [];
  const codes = codesOf(o);
  const on = (id: string) => {
    const r = rules.get(id);
    return r?.active ? r : undefined;
  };
  const out: Breach[] = [];
  const spo2 = on('spo2-critical');
  if (spo2 && codes.some((c) => spo2Codes.includes(c))) {
    const low = lowest(o);
    if (low !== undefined && low < spo2.params.below) out.push({ rule: spo2, detail: `SpO2 ${low} % (below ${spo2.params.below} %)` });
  }
  const crisis = on('bp-crisis');
  if (crisis && codes.includes(bloodPressurePanel)) {
    const sbp = componentValue(o, '8480-6');
    const dbp = componentValue(o, '8462-4');
    if ((sbp ?? 0) >= crisis.params.systolic || (dbp ?? 0) >= crisis.params.diastolic) {
      out.push({ rule: crisis, detail: `Blood pressure ${sbp}/${dbp} mm[Hg] (${crisis.params.systolic}/${crisis.params.diastolic} or more)` });
    }
  }
  const v = o.valueQuantity?.code === 'mg/dL' ? o.valueQuantity.value : undefined;
  if (v !== undefined && codes.some((c) => glucoseCodes.includes(c))) {
    const high = ['glucose-critical-high', 'glucose-high'].flatMap((id) => {
      const r = on(id);
      return r && v > r.params.above ? [{ rule: r, detail: `Glucose ${v} mg/dL (above ${r.params.above})` }] : [];
    });
    const low = ['glucose-critical-low', 'glucose-low'].flatMap((id) => {
      const r = on(id);
      return r && v < r.params.below ? [{ rule: r, detail: `Glucose ${v} mg/dL (below ${r.params.below})` }] : [];
    });
    for (const b of [worst(high), worst(low)]) if (b) out.push(b);
  }
  return out;
}
