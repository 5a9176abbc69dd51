import type { Observation } from '@medplum/fhirtypes';
import type { Bot } from '../src/bots/bot.js';
import { heartRateAboveHabit } from '../src/alerting/checks/heart-rate-habit.js';
import { rulesFor } from '../src/alerting/overrides.js';
import { raise } from '../src/alerting/raise.js';

/**
 * The hr-above-habit rule (src/alerting/rules.ts, with the patient's overrides) on the
 * heart-rate-window bot's 5-minute windows: heart rate above the patient's own habit for an hour
 * is raised at the rule's level (advice to the patient by default), once per episode. It is a
 * bot of its own, not one of the urgent alert rules: a window comes with every packed minute of
 * every watch, and advice can wait behind an emergency.
 */
export const bot: Bot = {
  id: 'heart-rate-habit',
  title: 'Serium heart-rate habit',
  writes: ['DetectedIssue', 'Flag', 'Communication', 'CommunicationRequest'],
  async handle({ resource }, ctx) {
    if (resource?.resourceType !== 'Observation' || !resource.id) return;
    const o = resource as Observation & { id: string };
    const patient = o.subject?.reference;
    if (!patient?.startsWith('Patient/')) return;
    const found = await heartRateAboveHabit(ctx, o, await rulesFor(ctx, patient));
    if (found) await raise(ctx, found);
  },
};
