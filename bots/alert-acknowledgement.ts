import type { Communication, CommunicationRequest, DetectedIssue } from '@medplum/fhirtypes';
import type { Bot } from '../src/bots/bot.js';
import { alertSystem } from '../src/alerting/rules.js';
import { isClinician } from '../src/alerting/ref.js';

/**
 * Acknowledgements: a clinician (Practitioner or PractitionerRole as sender) answers an alert
 * message with a Communication whose inResponseTo names it. The alert's DetectedIssue gets a
 * mitigation "acknowledged" with who (the sender) and when (the answer's sent time), and the
 * escalation request the message was based on is completed, so nobody else is called. Answers
 * from patients or relatives acknowledge nothing.
 */
export const acknowledged = { coding: [{ system: alertSystem, code: 'acknowledged', display: 'Alert acknowledged' }], text: 'Acknowledged' };

export const bot: Bot = {
  id: 'alert-acknowledgement',
  title: 'Serium alert acknowledgement',
  urgent: true,
  writes: ['DetectedIssue', 'CommunicationRequest'],
  async handle({ resource }, ctx) {
    if (resource?.resourceType !== 'Communication' || !resource.inResponseTo?.length) return;
    const answer = resource as Communication;
    const who = answer.sender?.reference;
    if (!isClinician(who)) return;
    const when = answer.sent ?? answer.meta?.lastUpdated ?? new Date().toISOString();
    for (const r of answer.inResponseTo ?? []) {
      const id = r.reference?.startsWith('Communication/') ? r.reference.slice('Communication/'.length) : undefined;
      const alert = id ? await ctx.read<Communication>('Communication', id) : undefined;
      if (!alert) continue;
      for (const about of alert.about ?? []) {
        if (!about.reference?.startsWith('DetectedIssue/')) continue;
        await ctx.lock(about.reference);
        const issue = await ctx.read<DetectedIssue>('DetectedIssue', about.reference.slice('DetectedIssue/'.length));
        if (!issue?.id) continue;
        const done = issue.mitigation?.some((m) => m.author?.reference === who && m.action.coding?.some((c) => c.system === alertSystem && c.code === 'acknowledged'));
        if (!done) await ctx.update({ ...issue, id: issue.id, mitigation: [...(issue.mitigation ?? []), { action: acknowledged, date: when, author: { reference: who } }] });
      }
      for (const based of alert.basedOn ?? []) {
        if (!based.reference?.startsWith('CommunicationRequest/')) continue;
        const requestId = based.reference.slice('CommunicationRequest/'.length);
        // the escalation takes the same lock before it moves a request on
        await ctx.lock(`escalation/${requestId}`);
        const request = await ctx.read<CommunicationRequest>('CommunicationRequest', requestId);
        // a late answer (the escalation ran out and is on hold) still closes it
        if (request?.id && (request.status === 'active' || request.status === 'on-hold')) await ctx.update({ ...request, id: request.id, status: 'completed' });
      }
    }
  },
};
