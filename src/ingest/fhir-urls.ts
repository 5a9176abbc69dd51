/** Code systems and extension URLs that the ingest writes into Observations. */

export const loincSystem = 'http://loinc.org';
export const mdcSystem = 'urn:iso:std:iso:11073:10101';
export const snomedSystem = 'http://snomed.info/sct';
export const observationCategorySystem = 'http://terminology.hl7.org/CodeSystem/observation-category';
export const observationStatisticsSystem = 'http://terminology.hl7.org/CodeSystem/observation-statistics';

/** R4 core: the UTC offset of the local time at the source, on a date or dateTime element. */
export const tzOffsetUrl = 'http://hl7.org/fhir/StructureDefinition/tz-offset';
/** R4 core: the same quantity in another unit; holds the value as sent when it was converted. */
export const quantityTranslationUrl = 'http://hl7.org/fhir/StructureDefinition/iso21090-PQ-translation';
/** R4 core: the body position of the subject during the observation. */
export const bodyPositionUrl = 'http://hl7.org/fhir/StructureDefinition/observation-bodyPosition';

/** Serium: one Open mHealth property with no better FHIR element (sub-extensions property, value). */
export const omhContextUrl = 'https://serium.dev/fhir/StructureDefinition/omh-context';
/** Serium: where the effective time came from when the payload had no time frame (valueCode). */
export const effectiveTimeSourceUrl = 'https://serium.dev/fhir/StructureDefinition/effective-time-source';
