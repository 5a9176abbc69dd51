import type { Annotation, CodeableConcept, Extension } from '@medplum/fhirtypes';
import { bodyPositionUrl, observationStatisticsSystem, omhContextUrl, snomedSystem } from '../fhir-urls.js';

/** What a body says besides its value and time, as FHIR elements. */
export interface BodyContext {
  extension: Extension[];
  note?: Annotation[];
  bodySite?: CodeableConcept;
  method?: CodeableConcept;
  /** The observation-statistics code of descriptive_statistic, when the value is a statistic. */
  statistic?: string;
  /** Codes telling this reading apart from another at the same time: statistic, denominator, meal. */
  supplemental: string[];
}

type Json = Record<string, unknown>;

/** Open mHealth descriptive statistics as http://terminology.hl7.org/CodeSystem/observation-statistics codes. */
export const statisticCodes: Record<string, [string, string]> = {
  average: ['average', 'Average'],
  count: ['count', 'Count'],
  maximum: ['maximum', 'Maximum'],
  median: ['median', 'Median'],
  minimum: ['minimum', 'Minimum'],
  'standard deviation': ['std-dev', 'Standard Deviation'],
  sum: ['sum', 'Sum'],
  variance: ['variance', 'Variance'],
  '20th percentile': ['20-percent', '20th Percentile'],
  '80th percentile': ['80-percent', '80th Percentile'],
  'lower quartile': ['4-lower', 'Lower Quartile'],
  'upper quartile': ['4-upper', 'Upper Quartile'],
  'quartile deviation': ['4-dev', 'Quartile Deviation'],
  '1st quintile': ['5-1', '1st Quintile'],
  '2nd quintile': ['5-2', '2nd Quintile'],
  '3rd quintile': ['5-3', '3rd Quintile'],
  '4th quintile': ['5-4', '4th Quintile'],
};

/** SNOMED CT findings for Open mHealth body postures (from the references of omh body-posture 1.0). */
const postureCodes: Record<string, string> = {
  sitting: '33586001',
  'lying down': '102538003',
  standing: '10904000',
  'semi-recumbent': '272580008',
};

/**
 * Every property of a body that is neither its value (`valueFields`) nor its time frame, mapped:
 * descriptive_statistic to `method` (observation-statistics), user_notes to `note`,
 * measurement_location to `bodySite`, body_posture and position_during_measurement to the R4
 * bodyPosition extension, and anything else to an omh-context extension (property, value), so
 * that nothing the payload says is lost. The statistic, its denominator and the relation to a
 * meal also go into `supplemental`.
 */
export function readContext(body: Json, valueFields: string[]): BodyContext {
  const out: BodyContext = { extension: [], supplemental: [] };
  let denominator: string | undefined;
  let meal: string | undefined;
  for (const [property, value] of Object.entries(body)) {
    if (valueFields.includes(property) || property === 'effective_time_frame') continue;
    const text = asText(value);
    if (property === 'descriptive_statistic' && Object.hasOwn(statisticCodes, text)) {
      const [code, display] = statisticCodes[text];
      out.method = { coding: [{ system: observationStatisticsSystem, code, display }], text };
      out.statistic = code;
    } else if (property === 'user_notes') {
      out.note = [{ text }];
    } else if (property === 'measurement_location') {
      out.bodySite = { text };
    } else if ((property === 'body_posture' || property === 'position_during_measurement') && Object.hasOwn(postureCodes, text)) {
      out.extension.push({ url: bodyPositionUrl, valueCodeableConcept: { coding: [{ system: snomedSystem, code: postureCodes[text] }], text } });
    } else {
      out.extension.push(contextExtension(property, text));
      if (property === 'descriptive_statistic_denominator') denominator = `per-${text}`;
      if (property === 'temporal_relationship_to_meal') meal = text.replace(/ /g, '-');
    }
  }
  out.supplemental = [out.statistic, denominator, meal].filter((s): s is string => s !== undefined);
  return out;
}

/** One Open mHealth property with no better FHIR element. */
export function contextExtension(property: string, value: string): Extension {
  return {
    url: omhContextUrl,
    extension: [
      { url: 'property', valueCode: property },
      { url: 'value', valueString: value },
    ],
  };
}

/** A property's value as text: strings as they are, a unit value as "2.5 L/min", anything else as JSON. */
function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  const uv = value as { value?: unknown; unit?: unknown } | null;
  if (uv && typeof uv === 'object' && typeof uv.value === 'number' && typeof uv.unit === 'string' && Object.keys(uv).length === 2) {
    return `${uv.value} ${uv.unit}`;
  }
  return JSON.stringify(value);
}
