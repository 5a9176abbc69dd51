import type { CareTeam, Patient } from '@medplum/fhirtypes';
import type { Recipient } from './device-messages.js';
import type { SearchContext } from '../search/search.js';
import { find } from './device-round.js';
import { cliniciansOf } from './recipients.js';

/** The clinicians of the patient's active CareTeams (recipients.ts), who take messages about the patient. */
export async function careTeamMembers(ctx: SearchContext, patient: string, now: Date): Promise<Recipient[]> {
  return cliniciansOf(await find<CareTeam>(ctx, 'CareTeam', { patient, status: 'active', _count: '100' }), now.getTime());
}

/** How the care team's message names the patient: their name when the record has one, else the record's reference. */
export function patientLabel(p: Patient | undefined, reference: string): string {
  const name = p?.name?.[0];
  const text = name?.text ?? [...(name?.given ?? []), name?.family].filter(Boolean).join(' ');
  return text || reference;
}
