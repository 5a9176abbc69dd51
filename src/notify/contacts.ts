import type { ContactPoint } from '@medplum/fhirtypes';
import type { ChannelKind } from './channel.js';

export interface Contact {
  kind: ChannelKind;
  to: string;
}

/** A push token is kept as a ContactPoint of system `other` whose value starts with this prefix. */
export const pushPrefix = 'push:';

/** The channel a ContactPoint reaches, if any: email, sms (or a mobile phone), push (`other`, `push:<token>`). */
function contactOf(t: ContactPoint, now: number): Contact | undefined {
  const value = t.value?.trim();
  if (!value) return undefined;
  if (t.period?.end && Date.parse(t.period.end) < now) return undefined;
  if (t.system === 'email') return { kind: 'email', to: value };
  if (t.system === 'sms' || (t.system === 'phone' && t.use === 'mobile')) return { kind: 'sms', to: value };
  if (t.system === 'other' && value.startsWith(pushPrefix) && value.length > pushPrefix.length) return { kind: 'push', to: value.slice(pushPrefix.length) };
  return undefined;
}

/**
 * Where a person can be reached, best first: by ContactPoint.rank (1 is preferred; unranked last),
 * then in the order listed. Ended ContactPoints and ones no channel can use are left out.
 */
export function contactsOf(telecom: ContactPoint[] | undefined, now = Date.now()): Contact[] {
  const ranked = (telecom ?? []).map((t, i) => ({ t, i })).sort((a, b) => (a.t.rank ?? Infinity) - (b.t.rank ?? Infinity) || a.i - b.i);
  const out: Contact[] = [];
  for (const { t } of ranked) {
    const c = contactOf(t, now);
    if (c && !out.some((o) => o.kind === c.kind && o.to === c.to)) out.push(c);
  }
  return out;
}
