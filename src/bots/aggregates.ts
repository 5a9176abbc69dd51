import type { Observation } from '@medplum/fhirtypes';

/** What the bots' derived Observations share: code systems, the aggregate category, and one builder. */
export const loinc = 'http://loinc.org';
export const ucum = 'http://unitsofmeasure.org';
/** Serium's local codes for figures no LOINC code names (time below a threshold, trends, fingerstick time in range). */
export const metricSystem = 'https://serium.dev/fhir/CodeSystem/rpm-metric';
/** Marks what a bot computed from readings, so a search can keep or leave out aggregates. */
export const aggregateCategory = { coding: [{ system: 'https://serium.dev/fhir/CodeSystem/observation-category', code: 'aggregate', display: 'Aggregate' }] };

/** What a bot computed (derived from other Observations, or in the aggregate category): never a reading. */
export const isAggregate = (o: Observation): boolean =>
  (o.derivedFrom?.length ?? 0) > 0 || (o.category ?? []).some((c) => c.coding?.some((x) => x.system === aggregateCategory.coding[0].system && x.code === aggregateCategory.coding[0].code));

/** When the Observation was measured (its dateTime or the start of its period), ms since epoch; NaN when it has neither. */
export const effectiveTime = (o: Observation) => Date.parse(o.effectiveDateTime ?? o.effectivePeriod?.start ?? '');

export interface MetricFigure {
  code: string;
  display: string;
  subject: string;
  /** The window the figure covers (ms since epoch), or the instant it is for. */
  period?: [number, number];
  at?: string;
  value: number;
  /** UCUM code, also shown as the unit. */
  unit: string;
  from: Observation[];
  method?: string;
}

/** An aggregate Observation with a local metric code, one quantity and derivedFrom the readings it used. */
export function metricObservation(f: MetricFigure): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [aggregateCategory],
    code: { coding: [{ system: metricSystem, code: f.code, display: f.display }], text: f.display },
    subject: { reference: f.subject },
    ...(f.period ? { effectivePeriod: { start: new Date(f.period[0]).toISOString(), end: new Date(f.period[1]).toISOString() } } : { effectiveDateTime: f.at }),
    valueQuantity: { value: f.value, unit: f.unit, system: ucum, code: f.unit },
    ...(f.method ? { method: { text: f.method } } : {}),
    derivedFrom: f.from.map((o) => ({ reference: `Observation/${o.id}` })),
  };
}
