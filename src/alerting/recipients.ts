import type { CareTeam, RelatedPerson } from '@medplum/fhirtypes';
import type { BotContext } from '../bots/bot.js';
import { isClinician, type Ref } from './ref.js';

const active = (period: { start?: string; end?: string } | undefined, now: number) =>
  !(period?.end && Date.parse(period.end) < now) && !(period?.start && Date.parse(period.start) > now);

/** The patient's active CareTeams: read once, then asked for clinicians and relatives. */
export async function teamsOf(ctx: BotContext, patient: string): Promise<CareTeam[]> {
  return ctx.search<CareTeam>('CareTeam', { patient, status: 'active' });
}

/**
 * The clinicians (Practitioner, PractitionerRole) of the given CareTeams, in the order the teams
 * list them, each once, those whose participation has not begun or has ended left out: the
 * escalation order (the first is told first; the next when nobody acknowledges).
 */
export function cliniciansOf(teams: CareTeam[], now: number): Ref[] {
  const out: Ref[] = [];
  for (const team of teams) {
    for (const p of team.participant ?? []) {
      const ref = p.member?.reference;
      if (!isClinician(ref) || !active(p.period, now)) continue;
      if (!out.some((o) => o.reference === ref)) out.push({ reference: ref });
    }
  }
  return out;
}

/** The patient's relatives: RelatedPersons in the care teams and active RelatedPersons of the patient. */
export async function relativesOf(ctx: BotContext, teams: CareTeam[], patient: string, now: number): Promise<Ref[]> {
  const refs = new Set<string>();
  for (const team of teams) {
    for (const p of team.participant ?? []) if (p.member?.reference?.startsWith('RelatedPerson/') && active(p.period, now)) refs.add(p.member.reference);
  }
  for (const r of await ctx.search<RelatedPerson>('RelatedPerson', { patient, active: 'true' })) refs.add(`RelatedPerson/${r.id}`);
  return [...refs].map((reference) => ({ reference }));
}
