import type { Communication, Patient, Practitioner, PractitionerRole, Reference } from '@medplum/fhirtypes';

export type Recipient = Reference<Patient | Practitioner | PractitionerRole>;
import { deterministicId } from '../ingest/identity.js';
import { watchIdentity } from './device-round.js';

const categorySystem = 'http://terminology.hl7.org/CodeSystem/communication-category';

/** The ids of an episode's messages, derived from its Flag: each is written once. */
export const reminderId = (tenant: string, flagId: string) => deterministicId(tenant, 'device-watch', flagId, 'reminder');
export const teamNoticeId = (tenant: string, flagId: string) => deterministicId(tenant, 'device-watch', flagId, 'care-team');

/**
 * A message for the dispatcher to deliver: created in-progress; the dispatcher completes it with
 * sent and medium. The first line of the text is the subject of an email.
 */
function message(category: 'reminder' | 'notification', patient: string, flagId: string, recipient: Recipient[], text: string): Communication {
  return {
    resourceType: 'Communication',
    status: 'in-progress',
    category: [{ coding: [{ system: categorySystem, code: category }] }],
    priority: 'routine',
    subject: { reference: patient },
    about: [{ reference: `Flag/${flagId}` }],
    recipient,
    sender: watchIdentity,
    payload: [{ contentString: text }],
  };
}

export function patientReminder(patient: string, flagId: string, text: string): Communication {
  return message('reminder', patient, flagId, [{ reference: patient }], text);
}

export function careTeamNotice(patient: string, flagId: string, members: Recipient[], text: string): Communication {
  return message('notification', patient, flagId, members, text);
}

const timeFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });

/** "21 Nov 2026, 08:00 UTC": the patient's time zone is not known here. */
export function readableTime(iso: string): string {
  return `${timeFormat.format(new Date(iso))} UTC`;
}

export function silentReminderText(device: string, since: string, neverReported: boolean): string {
  const when = neverReported ? `since it was set up for you on ${readableTime(since)}` : `since ${readableTime(since)}`;
  return [
    `Your ${device} has not sent any readings ${when}.`,
    'Please check that it is switched on, charged, worn or used as usual, and close to your phone.',
    'If it still does not send readings, please contact your care team.',
  ].join('\n');
}

export function batteryReminderText(device: string, percent: number): string {
  return [
    `The battery of your ${device} is low (${percent}%).`,
    'Please charge it, or change its batteries, soon so that your readings keep arriving.',
  ].join('\n');
}

export function silentTeamText(device: string, patient: string, since: string, now: Date): string {
  const hours = Math.floor((now.getTime() - Date.parse(since)) / 3_600_000);
  const quiet = hours >= 48 ? `${Math.floor(hours / 24)} days` : hours >= 1 ? `${hours} hours` : 'less than an hour';
  return [
    `No readings from the ${device} of ${patient} for ${quiet}.`,
    `Its last reading (or, if it never sent one, its hand-over to the patient) was on ${readableTime(since)}. The patient has been sent a reminder; they may need a call to get the device working again.`,
  ].join('\n');
}
