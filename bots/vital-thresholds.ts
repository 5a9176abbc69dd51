import type { Communication, DetectedIssue, Flag, Observation } from '@medplum/fhirtypes';
import { loinc } from '../src/bots/aggregates.js';
import type { Bot, BotContext } from '../src/bots/bot.js';
import { usableValues } from '../src/ingest/sampled-observation.js';

/**
 * Emergency thresholds on a single reading (the defaults of the alerting table): SpO2 below 85 %,
 * systolic 180 mm[Hg] or more or diastolic 120 or more, glucose above 300 or below 54 mg/dL. A
 * reading past one raises a DetectedIssue (severity high) naming it, an active Flag and an urgent
 * Communication to the patient's active care team, all in one transaction. While the Flag of that
 * alert is active, further readings of the same episode raise nothing new.
 */

export const alertSystem = 'https://serium.dev/fhir/CodeSystem/alert';

interface Breach {
  code: string;
  display: string;
  detail: string;
}

const spo2Codes = ['2708-6', '59408-5'];
const glucoseCodes = ['41653-7', '88365-2', '87422-2', '14743-9'];

/** The emergency threshold the Observation crosses, if any. */
export function breach(o: Observation): Breach | undefined {
  const codes = o.code?.coding?.filter((c) => c.system === loinc).map((c) => c.code) ?? [];
  if (o.status === 'entered-in-error') return undefined;
  if (codes.some((c) => spo2Codes.includes(c ?? ''))) {
    const low = lowest(o);
    if (low !== undefined && low < 85) return { code: 'spo2-critical', display: 'SpO2 below 85 %', detail: `SpO2 ${low} % (below 85 %)` };
  }
  if (codes.includes('85354-9')) {
    const part = (code: string) => o.component?.find((c) => c.code?.coding?.some((x) => x.code === code))?.valueQuantity?.value;
    const sbp = part('8480-6');
    const dbp = part('8462-4');
    if ((sbp ?? 0) >= 180 || (dbp ?? 0) >= 120) return { code: 'bp-crisis', display: 'Hypertensive crisis', detail: `Blood pressure ${sbp}/${dbp} mm[Hg] (180/120 or more)` };
  }
  if (codes.some((c) => glucoseCodes.includes(c ?? '')) && o.valueQuantity?.code === 'mg/dL' && o.valueQuantity.value !== undefined) {
    const v = o.valueQuantity.value;
    if (v > 300) return { code: 'glucose-critical-high', display: 'Glucose above 300 mg/dL', detail: `Glucose ${v} mg/dL (above 300)` };
    if (v < 54) return { code: 'glucose-critical-low', display: 'Glucose below 54 mg/dL', detail: `Glucose ${v} mg/dL (below 54)` };
  }
  return undefined;
}

/** The reading's value, or the lowest sample of a SampledData window not flagged for quality. */
function lowest(o: Observation): number | undefined {
  if (o.valueQuantity?.value !== undefined) return o.valueQuantity.value;
  const values = usableValues(o);
  return values.length ? Math.min(...values) : undefined;
}

async function raise(o: Observation & { id: string }, b: Breach, ctx: BotContext): Promise<void> {
  const patient = o.subject?.reference;
  if (!patient?.startsWith('Patient/')) return;
  const code = { coding: [{ system: alertSystem, code: b.code, display: b.display }], text: b.display };
  // R4 Flag has no code or status search parameter: the patient's Flags are read and filtered here
  const flags = await ctx.search<Flag>('Flag', { patient });
  const ongoing = flags.some((f) => f.status === 'active' && f.code?.coding?.some((c) => c.system === alertSystem && c.code === b.code));
  if (ongoing) return;
  const now = new Date().toISOString();
  const issue = await ctx.createOnce<DetectedIssue>(
    {
      resourceType: 'DetectedIssue',
      status: 'final',
      code,
      severity: 'high',
      patient: { reference: patient },
      identifiedDateTime: now,
      author: ctx.identity,
      implicated: [{ reference: `Observation/${o.id}` }],
      detail: b.detail,
    },
    `${o.id}/${b.code}/issue`,
  );
  await ctx.createOnce<Flag>(
    {
      resourceType: 'Flag',
      status: 'active',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/flag-category', code: 'clinical' }] }],
      code,
      subject: { reference: patient },
      period: { start: now },
      author: ctx.identity,
    },
    `${o.id}/${b.code}/flag`,
  );
  const teams = await ctx.search<{ resourceType: 'CareTeam'; participant?: { member?: { reference?: string } }[] }>('CareTeam', { patient, status: 'active' });
  const recipient = teams.flatMap((t) => t.participant ?? []).flatMap((p) => (p.member?.reference ? [{ reference: p.member.reference }] : []));
  await ctx.createOnce<Communication>(
    {
      resourceType: 'Communication',
      status: 'completed',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/communication-category', code: 'alert' }] }],
      priority: 'urgent',
      subject: { reference: patient },
      about: [{ reference: `DetectedIssue/${issue.resource.id}` }],
      sent: now,
      sender: ctx.identity,
      ...(recipient.length ? { recipient } : {}),
      payload: [{ contentString: `Emergency: ${b.detail}.` }],
    },
    `${o.id}/${b.code}/communication`,
  );
}

export const bot: Bot = {
  id: 'vital-thresholds',
  title: 'Serium emergency thresholds',
  writes: ['DetectedIssue', 'Flag', 'Communication'],
  async handle({ resource }, ctx) {
    if (resource?.resourceType !== 'Observation' || !resource.id) return;
    const b = breach(resource);
    if (b) await raise(resource as Observation & { id: string }, b, ctx);
  },
};
