import type { CodeableConcept, Communication, Reference } from '@medplum/fhirtypes';
import type { Bot, BotContext } from '../src/bots/bot.js';
import { channelSystem, type ChannelKind } from '../src/notify/channel.js';
import { contactsOf, type Contact } from '../src/notify/contacts.js';
import { telecomOf } from '../src/notify/telecom.js';
import { isClinician } from '../src/alerting/ref.js';

/**
 * Sends each Communication created with status in-progress to its recipients (Patient,
 * Practitioner, PractitionerRole, RelatedPerson) over their best reachable ContactPoint: email,
 * SMS or push, whichever is configured, trying the next when one fails. A `medium` coded in the
 * notification-channel system forces that channel (an escalation re-sends on an alternate one).
 * Afterwards the Communication is completed with `sent` and the channels used in `medium`; when
 * nobody could be reached it is not-done, with the reason in `statusReason`. A failed send is
 * retried with the Subscription's backoff; on the last attempt the outcome is recorded instead,
 * so one unreachable person never stops the messages of everyone else.
 */

interface Outcome {
  sent: ChannelKind[];
  problems: string[];
}

function forcedChannel(medium: CodeableConcept[] | undefined): ChannelKind | undefined {
  return medium?.flatMap((m) => m.coding ?? []).find((c) => c.system === channelSystem)?.code as ChannelKind | undefined;
}

/**
 * The message as sent to one recipient: the first line of the payload as the subject, and the whole
 * payload with a pointer to the record. Only a clinician (Practitioner, PractitionerRole) can
 * acknowledge an alert, so only they are told how.
 */
export function messageOf(c: Communication & { id: string }, recipient: Reference): { subject: string; text: string } {
  const body = (c.payload ?? []).map((p) => p.contentString).filter((s): s is string => !!s).join('\n\n') || 'You have a new message in Serium.';
  const first = body.split('\n')[0];
  const subject = `${c.priority === 'urgent' || c.priority === 'stat' ? 'URGENT: ' : ''}${first.length > 90 ? `${first.slice(0, 87)}...` : first}`;
  const answer = c.priority === 'urgent' && isClinician(recipient.reference) ? '\nTo acknowledge, answer it in Serium.' : '';
  return { subject, text: `${body}\n\n(Communication/${c.id})${answer}\n` };
}

async function sendTo(ctx: BotContext, c: Communication & { id: string }, ref: Reference, out: Outcome): Promise<void> {
  const forced = forcedChannel(c.medium);
  const contacts: Contact[] = contactsOf(await telecomOf(ctx, ref)).filter((k) => ctx.notifier.available(k.kind) && (!forced || k.kind === forced));
  if (!contacts.length) {
    out.problems.push(`${ref.reference}: no reachable ${forced ?? 'email, SMS or push'} contact`);
    return;
  }
  const { subject, text } = messageOf(c, ref);
  const errors: string[] = [];
  for (const contact of contacts) {
    try {
      await ctx.notifier.send({ ...contact, subject, text, urgent: c.priority === 'urgent' || c.priority === 'stat', reference: `Communication/${c.id}` });
      out.sent.push(contact.kind);
      return;
    } catch (err) {
      errors.push(`${contact.kind}: ${(err as Error).message}`);
    }
  }
  out.problems.push(`${ref.reference}: ${errors.join('; ')}`);
}

export const bot: Bot = {
  id: 'communication-dispatch',
  title: 'Serium message dispatch',
  urgent: true,
  writes: ['Communication'],
  async handle({ resource, event }, ctx) {
    if (resource?.resourceType !== 'Communication' || resource.status !== 'in-progress' || !resource.id) return;
    const c = resource as Communication & { id: string };
    const out: Outcome = { sent: [], problems: [] };
    for (const ref of c.recipient ?? []) await sendTo(ctx, c, ref, out);
    const failed = out.problems.some((p) => !p.includes('no reachable'));
    // a channel that failed may work later; the ones already reached may then hear twice (at least once)
    if (failed && !event.lastAttempt) throw new Error(out.problems.join(' | '));
    const kinds = [...new Set(out.sent)];
    await ctx.update<Communication & { id: string }>({
      ...c,
      status: kinds.length ? 'completed' : 'not-done',
      ...(kinds.length ? { sent: new Date().toISOString(), medium: kinds.map((k) => ({ coding: [{ system: channelSystem, code: k }] })) } : {}),
      ...(out.problems.length ? { statusReason: { text: out.problems.join(' | ').slice(0, 1000) } } : {}),
    });
  },
};
