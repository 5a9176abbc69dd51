import type { Observation } from '@medplum/fhirtypes';
import { loinc } from '../../bots/aggregates.js';

/** What the rule checks need to know about an Observation. */
export const codesOf = (o: Observation) => o.code?.coding?.filter((c) => c.system === loinc).map((c) => c.code ?? '') ?? [];
export const hasCode = (o: Observation, ...codes: string[]) => codesOf(o).some((c) => codes.includes(c));
export const usable = (o: Observation) => o.status !== 'entered-in-error' && o.status !== 'cancelled';
export const componentValue = (o: Observation, code: string) => o.component?.find((c) => c.code?.coding?.some((x) => x.code === code))?.valueQuantity?.value;
export const spo2Codes = ['2708-6', '59408-5'];
export const glucoseCodes = ['41653-7', '88365-2', '87422-2', '14743-9', '2339-0', '2345-7'];
export const bloodPressurePanel = '85354-9';
export const bodyWeight = '29463-7';
/**
 * Every LOINC code a rule reads a reading of: bot-vital-thresholds is subscribed to these only,
 * so the 1 Hz heart-rate minutes (read through their windows) do not queue behind alerts.
 */
export const readingCodes = [...spo2Codes, bloodPressurePanel, ...glucoseCodes, bodyWeight];
export const ref = (o: Observation) => ({ reference: `Observation/${o.id}` });
export const iso = (ms: number) => new Date(ms).toISOString();
