/**
 * The alert rules and their defaults (the alerting table of the product). A doctor changes them
 * per patient with an alert-thresholds Basic resource (see overrides.ts): another level, other
 * parameters, or the rule switched off.
 */
export type Level = 'info' | 'alert' | 'emergency';

export interface Rule {
  id: string;
  level: Level;
  display: string;
  /** Named numbers the rule compares with (thresholds, durations); each can be overridden. */
  params: Record<string, number>;
  active: boolean;
}

export const alertSystem = 'https://serium.dev/fhir/CodeSystem/alert';

export const defaultRules: readonly Rule[] = [
  { id: 'spo2-critical', level: 'emergency', display: 'SpO2 below 85 %', params: { below: 85 }, active: true },
  { id: 'spo2-low-sustained', level: 'alert', display: 'SpO2 below 90 % for 2 minutes within 10 minutes', params: { below: 90, minutes: 2, withinMinutes: 10 }, active: true },
  { id: 'bp-crisis', level: 'emergency', display: 'Hypertensive crisis', params: { systolic: 180, diastolic: 120 }, active: true },
  { id: 'systolic-high-repeated', level: 'alert', display: 'Systolic 160 mm[Hg] or more on repeated series', params: { systolic: 160, series: 2, withinHours: 72 }, active: true },
  { id: 'glucose-critical-high', level: 'emergency', display: 'Glucose above 300 mg/dL', params: { above: 300 }, active: true },
  { id: 'glucose-critical-low', level: 'emergency', display: 'Glucose below 54 mg/dL', params: { below: 54 }, active: true },
  { id: 'glucose-high', level: 'alert', display: 'Glucose above 250 mg/dL', params: { above: 250 }, active: true },
  { id: 'glucose-low', level: 'alert', display: 'Glucose below 70 mg/dL', params: { below: 70 }, active: true },
  { id: 'weight-gain', level: 'emergency', display: 'Weight up 2 kg or more in 3 days', params: { kg: 2, days: 3 }, active: true },
  { id: 'hr-above-habit', level: 'info', display: 'Heart rate above your usual for an hour', params: { zScore: 2, minutes: 60 }, active: true },
  { id: 'patient-sos', level: 'emergency', display: 'SOS from the patient', params: {}, active: true },
];

export type Rules = ReadonlyMap<string, Rule>;

export const defaultRuleMap: Rules = new Map(defaultRules.map((r) => [r.id, r]));
