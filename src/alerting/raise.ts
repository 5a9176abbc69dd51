import type { Ref } from './ref.js';
import type { CodeableConcept, Communication, CommunicationRequest, DetectedIssue, Flag } from '@medplum/fhirtypes';
import type { BotContext } from '../bots/bot.js';
import { channelSystem } from '../notify/channel.js';
import { escalationSteps } from './escalation-steps.js';
import { messages } from './messages.js';
import { cliniciansOf, relativesOf, teamsOf } from './recipients.js';
import { alertSystem, type Rule } from './rules.js';

/** What a rule found: for whom, why, and from which readings. */
export interface Finding {
  rule: Rule;
  patient: string;
  detail: string;
  /** The readings (or message) that triggered it. */
  implicated: Ref[];
  /** Aggregates that back it up (DetectedIssue.evidence). */
  evidence?: Ref[];
  /** What makes this finding unique (the triggering resource): the same input twice writes nothing new. */
  key: string;
}

export const escalationStepUrl = 'https://serium.dev/fhir/StructureDefinition/escalation-step';
const communicationCategory = 'http://terminology.hl7.org/CodeSystem/communication-category';
const category = (code: string) => [{ coding: [{ system: communicationCategory, code }] }];

/** A message to be sent: the dispatch bot sends Communications created in progress. */
function message(f: Finding, to: Ref, text: string, fields: Partial<Communication>): Communication {
  return { resourceType: 'Communication', status: 'in-progress', subject: { reference: f.patient }, recipient: [to], payload: [{ contentString: text }], ...fields };
}

/** Whether an alert of this rule is ongoing for the patient: its Flag is still active. */
async function ongoing(ctx: BotContext, f: Finding): Promise<boolean> {
  // R4 Flag has no code or status search parameter: the patient's Flags are filtered here
  const flags = await ctx.search<Flag>('Flag', { patient: f.patient });
  return flags.some((x) => x.status === 'active' && x.code?.coding?.some((c) => c.system === alertSystem && c.code === f.rule.id));
}

/**
 * Raises what the rule's level calls for, once per episode (while the Flag of an earlier alert of
 * the rule is active, nothing new):
 * - info: advice to the patient, at most one per rule a day;
 * - alert: DetectedIssue (moderate), Flag, and messages to the patient and each clinician;
 * - emergency: DetectedIssue (high), Flag, an urgent message to the first clinician with an
 *   escalation request (escalation.ts takes it on until someone acknowledges), and a message
 *   without clinical detail to each relative.
 */
export async function raise(ctx: BotContext, f: Finding, now = new Date()): Promise<void> {
  const { rule } = f;
  if (!rule.active) return;
  await ctx.lock(`alert/${f.patient}/${rule.id}`);
  const at = now.toISOString();
  if (rule.level === 'info') {
    const day = at.slice(0, 10);
    await ctx.createOnce(message(f, { reference: f.patient }, messages.advice(rule), { priority: 'routine', category: category('instruction'), sender: ctx.identity }), `${f.patient}/${rule.id}/${day}/advice`);
    return;
  }
  if (await ongoing(ctx, f)) return;
  const code: CodeableConcept = { coding: [{ system: alertSystem, code: rule.id, display: rule.display }], text: rule.display };
  const key = `${f.key}/${rule.id}`;
  const issue = await ctx.createOnce<DetectedIssue>(
    {
      resourceType: 'DetectedIssue',
      status: 'final',
      code,
      severity: rule.level === 'emergency' ? 'high' : 'moderate',
      patient: { reference: f.patient },
      identifiedDateTime: at,
      author: ctx.identity,
      implicated: f.implicated,
      ...(f.evidence?.length ? { evidence: [{ detail: f.evidence }] } : {}),
      detail: f.detail,
    },
    `${key}/issue`,
  );
  await ctx.createOnce<Flag>(
    {
      resourceType: 'Flag',
      status: 'active',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/flag-category', code: 'clinical' }] }],
      code,
      subject: { reference: f.patient },
      period: { start: at },
      author: ctx.identity,
    },
    `${key}/flag`,
  );
  const about = [{ reference: `DetectedIssue/${issue.resource.id}` }];
  const teams = await teamsOf(ctx, f.patient);
  const team = cliniciansOf(teams, now.getTime());
  const teamText = messages.team(rule, f.detail, rule.level);
  if (rule.level === 'alert') {
    await ctx.createOnce(message(f, { reference: f.patient }, messages.patient(rule), { priority: 'routine', category: category('notification'), about, sender: ctx.identity }), `${key}/patient`);
    for (const member of team) {
      await ctx.createOnce(message(f, member, teamText, { priority: 'routine', category: category('alert'), about, sender: ctx.identity }), `${key}/team/${member.reference}`);
    }
    return;
  }
  const steps = await escalationSteps(ctx, team);
  if (steps.length) {
    const request = await ctx.createOnce<CommunicationRequest>(
      {
        resourceType: 'CommunicationRequest',
        status: 'active',
        category: category('alert'),
        priority: 'urgent',
        subject: { reference: f.patient },
        about,
        recipient: team,
        payload: [{ contentString: teamText }],
        occurrenceDateTime: at,
        authoredOn: at,
        requester: ctx.identity,
        extension: [{ url: escalationStepUrl, valueInteger: 0 }],
      },
      `${key}/escalation`,
    );
    await ctx.createOnce(escalationMessage(f.patient, request.resource as CommunicationRequest & { id: string }, steps[0], ctx.identity), `${key}/escalation/0`);
  } else {
    // nobody reachable: the message is still recorded (the dispatcher marks it not-done, saying why)
    for (const member of team) await ctx.createOnce(message(f, member, teamText, { priority: 'urgent', category: category('alert'), about, sender: ctx.identity }), `${key}/team/${member.reference}`);
  }
  for (const relative of await relativesOf(ctx, teams, f.patient, now.getTime())) {
    await ctx.createOnce(message(f, relative, messages.relative(), { priority: 'urgent', category: category('notification'), sender: ctx.identity }), `${key}/relative/${relative.reference}`);
  }
}

/** The urgent message of one escalation step: to the step's clinician, on the step's channel, based on the request. */
export function escalationMessage(patient: string, request: CommunicationRequest & { id: string }, step: { recipient: Ref; channel: string }, sender: Ref): Communication {
  return {
    resourceType: 'Communication',
    status: 'in-progress',
    basedOn: [{ reference: `CommunicationRequest/${request.id}` }],
    category: category('alert'),
    priority: 'urgent',
    subject: { reference: patient },
    about: request.about,
    recipient: [step.recipient],
    medium: [{ coding: [{ system: channelSystem, code: step.channel }] }],
    sender,
    payload: request.payload?.map((p) => ({ contentString: p.contentString })),
  };
}
