import type { Device, Flag, Patient } from '@medplum/fhirtypes';
import type { StoredVersion } from '../repository/stored.js';
import { careTeamMembers, patientLabel } from './device-care-team.js';
import { deviceLabel, lastReportOf, patientOf } from './device-facts.js';
import { deviceFlag, flagId, resolveFlag } from './device-flag.js';
import { newestReading, readingAfter } from './device-last-heard.js';
import { careTeamNotice, patientReminder, reminderId, silentReminderText, silentTeamText, teamNoticeId } from './device-messages.js';
import { createOnce, type DeviceTurn } from './device-round.js';

/**
 * A device that has not reported for silentAfterMs: a Flag whose period starts at its last
 * report (the episode), and a reminder to the patient; after teamAfterMs a message to the care
 * team too. A report after the episode's start ends it. The last report is the newer of the
 * Device's last-report extension and the patient's newest Observation from the device; a device
 * that never sent this patient a reading counts from when it was given to them (the first of the
 * Device's latest versions naming the patient: its registration, or its hand-over).
 */
export async function watchSilence(turn: DeviceTurn, device: Device & { id: string }, active: StoredVersion[]): Promise<void> {
  const patient = patientOf(device)!;
  const reported = lastReportOf(device);
  const heardAfter = async (t: string) =>
    (reported !== undefined && Date.parse(reported) > Date.parse(t)) || readingAfter(turn.searchContext, patient, device.id, t);

  let episode: { id: string; start: string } | undefined;
  for (const stored of active) {
    const start = (stored.resource as Flag).period?.start;
    // a Flag about another patient (the device was handed over) or whose device has reported since it began is over
    if ((stored.resource as Flag).subject?.reference !== patient || !start || (await heardAfter(start))) await resolveFlag(turn, stored);
    else episode ??= { id: stored.id, start };
  }
  episode ??= await openEpisode(turn, device, patient, reported, heardAfter);
  if (!episode || turn.now.getTime() - Date.parse(episode.start) < turn.settings.teamAfterMs) return;
  await noticeCareTeam(turn, device, patient, episode);
}

async function openEpisode(
  turn: DeviceTurn,
  device: Device & { id: string },
  patient: string,
  reported: string | undefined,
  heardAfter: (t: string) => Promise<boolean>,
): Promise<{ id: string; start: string } | undefined> {
  const since = new Date(turn.now.getTime() - turn.settings.silentAfterMs).toISOString();
  if (await heardAfter(since)) return undefined;
  const { start, neverReported } = await silentSince(turn, device, patient, reported);
  if (Date.parse(start) > Date.parse(since)) return undefined;
  const id = flagId(turn.repo.tenant, device.id, patient, 'device-silent', start);
  const label = deviceLabel(device);
  if (await createOnce(turn, deviceFlag('device-silent', device.id, label, patient, start), id)) {
    await createOnce(turn, patientReminder(patient, id, silentReminderText(label, start, neverReported)), reminderId(turn.repo.tenant, id));
    return { id, start };
  }
  // this episode's Flag exists already: still under way unless someone closed it (then it stays closed)
  const existing = await turn.repo.current('Flag', id);
  return existing && !existing.deleted && (existing.resource as Flag).status === 'active' ? { id, start } : undefined;
}

/**
 * Since when the device has been silent: its last report, or when it was given to the patient if
 * it never sent them a reading (the extension may then stem from its previous patient: only a
 * report since the hand-over counts).
 */
async function silentSince(turn: DeviceTurn, device: Device & { id: string }, patient: string, reported: string | undefined): Promise<{ start: string; neverReported: boolean }> {
  const reading = await newestReading(turn.searchContext, patient, device.id);
  if (reading) return { start: reported && reported > reading ? reported : reading, neverReported: false };
  const given = await givenAt(turn, device, patient);
  return reported && Date.parse(reported) > Date.parse(given) ? { start: reported, neverReported: false } : { start: given, neverReported: true };
}

/**
 * When the Device was given to the patient: walking back from the current version, the time of
 * the earliest version that still names them (at most 100 versions back, after which the last one
 * reached stands: a later time, so the device gets more time rather than less).
 */
async function givenAt(turn: DeviceTurn, device: Device & { id: string }, patient: string): Promise<string> {
  const current = await turn.repo.read('Device', device.id);
  let at = current.lastUpdated;
  for (let v = current.versionId - 1; v >= 1 && v >= current.versionId - 100; v--) {
    let older;
    try {
      older = await turn.repo.vread('Device', device.id, String(v));
    } catch {
      break; // a deleted version: the device came back after it
    }
    if (patientOf(older.resource as Device) !== patient) break;
    at = older.lastUpdated;
  }
  return at;
}

/** Once per episode; while the patient has no care team member to tell, asked again each round. */
async function noticeCareTeam(turn: DeviceTurn, device: Device, patient: string, episode: { id: string; start: string }): Promise<void> {
  const id = teamNoticeId(turn.repo.tenant, episode.id);
  if (await turn.repo.current('Communication', id)) return;
  const members = await careTeamMembers(turn.searchContext, patient, turn.now);
  if (!members.length) return;
  const record = await turn.repo.current('Patient', patient.slice('Patient/'.length));
  const who = patientLabel(record && !record.deleted ? (record.resource as Patient) : undefined, patient);
  const text = silentTeamText(deviceLabel(device), who, episode.start, turn.now);
  await createOnce(turn, careTeamNotice(patient, episode.id, members, text), id);
}
