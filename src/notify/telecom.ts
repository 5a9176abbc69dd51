import type { ContactPoint, Practitioner, PractitionerRole, Reference } from '@medplum/fhirtypes';
import type { BotContext } from '../bots/bot.js';

/** The people a message can go to. */
export const personTypes = ['Patient', 'Practitioner', 'PractitionerRole', 'RelatedPerson'];

/**
 * The ContactPoints of the person a reference names: a PractitionerRole's own (the on-call
 * phone) before its practitioner's. Undefined for anything that is not a person or not there.
 */
export async function telecomOf(ctx: Pick<BotContext, 'read'>, ref: Reference): Promise<ContactPoint[] | undefined> {
  const [type, id] = (ref.reference ?? '').split('/');
  if (!id || !personTypes.includes(type)) return undefined;
  const who = await ctx.read<Practitioner | PractitionerRole>(type as 'Practitioner', id);
  if (!who) return undefined;
  if (who.resourceType !== 'PractitionerRole') return who.telecom;
  const practitionerId = who.practitioner?.reference?.startsWith('Practitioner/') ? who.practitioner.reference.slice('Practitioner/'.length) : undefined;
  const practitioner = practitionerId ? await ctx.read<Practitioner>('Practitioner', practitionerId) : undefined;
  return [...(who.telecom ?? []), ...(practitioner?.telecom ?? [])];
}
