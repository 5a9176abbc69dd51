import type { CodeableConcept, Coding } from '@medplum/fhirtypes';
import { loincSystem, mdcSystem, observationCategorySystem } from './fhir-urls.js';
import type { Metric, MetricInfo } from './reading.js';

const loinc = (code: string, display: string): Coding => ({ system: loincSystem, code, display });
const mdc = (code: string, display: string): Coding => ({ system: mdcSystem, code, display });
const vitalSignsProfile = (name: string) => `http://hl7.org/fhir/StructureDefinition/${name}`;

/**
 * Codes, category, canonical unit and profile of each metric, as Serium stores it. LOINC codings
 * come first, then MDC (rpm-domain.md §1). Blood glucose and step count claim no profile: neither
 * is one of the R4 vital signs.
 */
export const metricInfo: Record<Metric, MetricInfo> = {
  'heart-rate': {
    code: [loinc('8867-4', 'Heart rate'), mdc('147842', 'MDC_ECG_HEART_RATE')],
    category: 'vital-signs',
    unit: { code: '/min', display: 'beats/minute' },
    profile: vitalSignsProfile('heartrate'),
  },
  'oxygen-saturation': {
    code: [
      loinc('2708-6', 'Oxygen saturation in Arterial blood'),
      loinc('59408-5', 'Oxygen saturation in Arterial blood by Pulse oximetry'),
      mdc('150456', 'MDC_PULS_OXIM_SAT_O2'),
    ],
    category: 'vital-signs',
    unit: { code: '%', display: '%' },
    profile: vitalSignsProfile('oxygensat'),
  },
  'blood-pressure': {
    code: [loinc('85354-9', 'Blood pressure panel with all children optional'), mdc('150020', 'MDC_PRESS_BLD_NONINV')],
    category: 'vital-signs',
    unit: { code: 'mm[Hg]', display: 'mmHg' },
    profile: vitalSignsProfile('bp'),
  },
  'blood-glucose': {
    code: [loinc('41653-7', 'Glucose [Mass/volume] in Capillary blood by Glucometer'), mdc('160184', 'MDC_CONC_GLU_CAPILLARY_WHOLEBLOOD')],
    category: 'vital-signs',
    unit: { code: 'mg/dL', display: 'mg/dL' },
  },
  'body-weight': {
    code: [loinc('29463-7', 'Body weight'), mdc('188736', 'MDC_MASS_BODY_ACTUAL')],
    category: 'vital-signs',
    unit: { code: 'kg', display: 'kg' },
    profile: vitalSignsProfile('bodyweight'),
  },
  'body-height': {
    code: [loinc('8302-2', 'Body height'), mdc('188740', 'MDC_LEN_BODY_ACTUAL')],
    category: 'vital-signs',
    unit: { code: 'cm', display: 'cm' },
    profile: vitalSignsProfile('bodyheight'),
  },
  'body-temperature': {
    code: [loinc('8310-5', 'Body temperature'), mdc('150364', 'MDC_TEMP_BODY')],
    category: 'vital-signs',
    unit: { code: 'Cel', display: 'C' },
    profile: vitalSignsProfile('bodytemp'),
  },
  'respiratory-rate': {
    code: [loinc('9279-1', 'Respiratory rate'), mdc('151562', 'MDC_RESP_RATE')],
    category: 'vital-signs',
    unit: { code: '/min', display: 'breaths/minute' },
    profile: vitalSignsProfile('resprate'),
  },
  'step-count': {
    code: [loinc('55423-8', 'Number of steps in unspecified time Pedometer')],
    category: 'activity',
    unit: { code: '{steps}', display: 'steps' },
  },
  'body-mass-index': {
    code: [loinc('39156-5', 'Body mass index (BMI) [Ratio]'), mdc('188752', 'MDC_RATIO_MASS_BODY_LEN_SQ')],
    category: 'vital-signs',
    unit: { code: 'kg/m2', display: 'kg/m2' },
    profile: vitalSignsProfile('bmi'),
  },
};

/** The components of a blood pressure panel, each in mm[Hg]. */
export const bloodPressureCodes = {
  systolic: [loinc('8480-6', 'Systolic blood pressure'), mdc('150021', 'MDC_PRESS_BLD_NONINV_SYS')],
  diastolic: [loinc('8462-4', 'Diastolic blood pressure'), mdc('150022', 'MDC_PRESS_BLD_NONINV_DIA')],
};

/** LOINC codes that replace a metric's first coding in context: glucose by meal, steps per day. */
export const contextCodes = {
  glucosePreMeal: loinc('88365-2', 'Glucose [Mass/volume] in Blood --pre-meal'),
  glucosePostMeal: loinc('87422-2', 'Glucose [Mass/volume] in Blood --post meal'),
  stepsPerDay: loinc('41950-7', 'Number of steps in 24 hour Measured'),
};

const categoryDisplay = { 'vital-signs': 'Vital Signs', activity: 'Activity' };

/** The Observation.category of a metric. */
export function categoryOf(info: MetricInfo): CodeableConcept {
  return { coding: [{ system: observationCategorySystem, code: info.category, display: categoryDisplay[info.category] }] };
}
