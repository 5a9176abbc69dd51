import type { Rule } from './rules.js';

/**
 * What people are told. The care team gets the clinical detail; the patient gets plain advice;
 * relatives learn only that the care team was alerted and should check on the patient (no values,
 * no condition, no link to the alert).
 */
export const messages = {
  team(rule: Rule, detail: string, level: 'alert' | 'emergency'): string {
    return `${level === 'emergency' ? 'Emergency' : 'Alert'}: ${detail}.\nRule: ${rule.display}.`;
  },
  patient(rule: Rule): string {
    return `${rule.display}: one of your readings is outside the range your care team set, and they have been told. If you feel unwell, call your care team or the emergency number.`;
  },
  relative(): string {
    return 'Serium raised an urgent alert for the person you care for, and their care team has been told. Please check on them.';
  },
  advice(rule: Rule): string {
    return `${rule.display}. Take some rest and measure again later. If you feel unwell, call your care team.`;
  },
};
