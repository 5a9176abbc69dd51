import type { Observation } from '@medplum/fhirtypes';
import type { Bot } from '../src/bots/bot.js';
import { repeatedSystolic } from '../src/alerting/checks/repeated-systolic.js';
import { singleReadingBreaches } from '../src/alerting/checks/single-reading.js';
import { sustainedSpO2 } from '../src/alerting/checks/sustained-spo2.js';
import { weightGain } from '../src/alerting/checks/weight-gain.js';
import { hasCode, readingCodes } from '../src/alerting/checks/observations.js';
import { isAggregate } from '../src/bots/aggregates.js';
import { rulesFor } from '../src/alerting/overrides.js';
import { raise, type Finding } from '../src/alerting/raise.js';

/**
 * The alert rules on readings (src/alerting/rules.ts, with the patient's overrides): on every
 * reading a rule reads, the rules one reading can break (SpO2, blood-pressure crisis, glucose),
 * SpO2 low for a while within a window and weight gain over days; on the blood-pressure-series
 * bot's series, high systolic on repeated series. What a rule finds is raised at the rule's level
 * (raise.ts): once per episode. Heart rate above habit has a bot of its own (heart-rate-habit.ts).
 */
export const bot: Bot = {
  id: 'vital-thresholds',
  title: 'Serium alert rules',
  urgent: true,
  writes: ['DetectedIssue', 'Flag', 'Communication', 'CommunicationRequest'],
  async handle({ resource }, ctx) {
    if (resource?.resourceType !== 'Observation' || !resource.id) return;
    const o = resource as Observation & { id: string };
    const patient = o.subject?.reference;
    // a reading no rule reads (the aggregates this bot watches are chosen by its other Subscription)
    if (!patient?.startsWith('Patient/') || (!isAggregate(o) && !hasCode(o, ...readingCodes))) return;
    const rules = await rulesFor(ctx, patient);
    const findings: Finding[] = singleReadingBreaches(o, rules).map((b) => ({ rule: b.rule, patient, detail: b.detail, implicated: [{ reference: `Observation/${o.id}` }], key: o.id }));
    for (const check of [sustainedSpO2, repeatedSystolic, weightGain]) {
      const found = await check(ctx, o, rules);
      if (found) findings.push(found);
    }
    for (const f of findings) await raise(ctx, f);
  },
};
