import type { Communication } from '@medplum/fhirtypes';
import type { Bot } from '../src/bots/bot.js';
import { rulesFor } from '../src/alerting/overrides.js';
import { raise } from '../src/alerting/raise.js';
import { alertSystem } from '../src/alerting/rules.js';

/**
 * A patient's SOS: the patient's app (or a relative's) sends a Communication about the patient
 * whose topic is patient-sos in the alert code system. It raises the patient-sos rule (an
 * emergency by default): DetectedIssue naming the message, Flag, escalation and relatives.
 */
export const bot: Bot = {
  id: 'patient-sos',
  title: 'Serium patient SOS',
  urgent: true,
  writes: ['DetectedIssue', 'Flag', 'Communication', 'CommunicationRequest'],
  async handle({ resource }, ctx) {
    if (resource?.resourceType !== 'Communication' || !resource.id) return;
    const c = resource as Communication & { id: string };
    if (!c.topic?.coding?.some((x) => x.system === alertSystem && x.code === 'patient-sos')) return;
    const patient = c.subject?.reference;
    const sender = c.sender?.reference ?? '';
    if (!patient?.startsWith('Patient/') || !(sender === patient || sender.startsWith('RelatedPerson/'))) return;
    const rule = (await rulesFor(ctx, patient)).get('patient-sos');
    if (!rule) return;
    const said = c.payload?.find((p) => p.contentString)?.contentString;
    await raise(ctx, { rule, patient, detail: `SOS sent by ${sender === patient ? 'the patient' : 'a relative'}${said ? `: "${said.slice(0, 200)}"` : ''}`, implicated: [{ reference: `Communication/${c.id}` }], key: c.id });
  },
};
