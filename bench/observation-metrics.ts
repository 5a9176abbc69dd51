/**
 * The readings of the search benchmark's data set: what one home-monitored patient sends in a
 * day, per metric, with the values each reading may take. Codes and units follow the R4
 * vital-signs profiles and the HL7 PHD IG (LOINC first, the IEEE 11073 MDC code beside it).
 */
const loinc = 'http://loinc.org';
const mdc = 'urn:iso:std:iso:11073:10101';
const ucum = 'http://unitsofmeasure.org';
const categorySystem = 'http://terminology.hl7.org/CodeSystem/observation-category';

export interface Metric {
  name: string;
  /** Minutes after midnight (UTC) of each reading of the day; a few seconds of jitter are added. */
  minutes: number[];
  /** Every value a reading may take; one is picked per reading. */
  values: number[][];
  /** The Observation of one reading, without id, subject and time. */
  observation(value: number[]): Record<string, unknown>;
}

const range = (from: number, to: number, step: number): number[] => {
  const out: number[] = [];
  for (let i = 0; from + i * step <= to + 1e-9; i++) out.push(Number((from + i * step).toFixed(2)));
  return out;
};

const category = (code: string) => [{ coding: [{ system: categorySystem, code }] }];
const codes = (text: string, ...codings: [string, string, string][]) => ({
  coding: codings.map(([system, code, display]) => ({ system, code, display })),
  text,
});
const quantity = (value: number, unit: string, code: string) => ({ value, unit, system: ucum, code });

const simple = (
  name: string,
  minutes: number[],
  values: number[],
  cat: string,
  code: ReturnType<typeof codes>,
  unit: [string, string],
): Metric => ({
  name,
  minutes,
  values: values.map((v) => [v]),
  observation: ([v]) => ({ status: 'final', category: category(cat), code, valueQuantity: quantity(v, unit[0], unit[1]) }),
});

export const metrics: Metric[] = [
  // a watch worn 21 hours a day, one heart rate an hour
  simple('heart-rate', range(0, 20 * 60, 60), range(50, 120, 1), 'vital-signs',
    codes('Heart rate', [loinc, '8867-4', 'Heart rate'], [mdc, '149530', 'MDC_PULS_OXIM_PULS_RATE']), ['beats/minute', '/min']),
  simple('spo2', [8 * 60, 20 * 60], range(88, 100, 1), 'vital-signs',
    codes('SpO2', [loinc, '2708-6', 'Oxygen saturation in Arterial blood'], [loinc, '59408-5', 'Oxygen saturation in Arterial blood by Pulse oximetry'],
      [mdc, '150456', 'MDC_PULS_OXIM_SAT_O2']), ['%', '%']),
  {
    name: 'blood-pressure',
    minutes: [9 * 60],
    values: range(100, 160, 5).flatMap((sys) => range(60, 100, 5).map((dia) => [sys, dia])),
    observation: ([sys, dia]) => ({
      status: 'final',
      category: category('vital-signs'),
      code: codes('Blood pressure', [loinc, '85354-9', 'Blood pressure panel'], [mdc, '150020', 'MDC_PRESS_BLD_NONINV']),
      component: [
        { code: codes('Systolic', [loinc, '8480-6', 'Systolic blood pressure'], [mdc, '150021', 'MDC_PRESS_BLD_NONINV_SYS']), valueQuantity: quantity(sys, 'mmHg', 'mm[Hg]') },
        { code: codes('Diastolic', [loinc, '8462-4', 'Diastolic blood pressure'], [mdc, '150022', 'MDC_PRESS_BLD_NONINV_DIA']), valueQuantity: quantity(dia, 'mmHg', 'mm[Hg]') },
      ],
    }),
  },
  simple('weight', [7 * 60], range(55, 110, 0.5), 'vital-signs',
    codes('Body weight', [loinc, '29463-7', 'Body weight'], [mdc, '188736', 'MDC_MASS_BODY_ACTUAL']), ['kg', 'kg']),
  simple('glucose', [12 * 60], range(70, 200, 2), 'laboratory',
    codes('Glucose', [loinc, '41653-7', 'Glucose [Mass/volume] in Capillary blood by Glucometer']), ['mg/dL', 'mg/dL']),
  simple('temperature', [21 * 60], range(36, 38.6, 0.1), 'vital-signs',
    codes('Body temperature', [loinc, '8310-5', 'Body temperature'], [mdc, '150364', 'MDC_TEMP_BODY']), ['C', 'Cel']),
  simple('steps', [23 * 60 + 55], range(0, 20000, 250), 'activity',
    codes('Steps', [loinc, '41950-7', 'Number of steps in 24 hour Measured']), ['steps', '{steps}']),
];
