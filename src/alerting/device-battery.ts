import type { Device, Flag } from '@medplum/fhirtypes';
import type { StoredVersion } from '../repository/stored.js';
import { batteryOf, deviceLabel, lastReportOf, patientOf } from './device-facts.js';
import { deviceFlag, flagId, resolveFlag } from './device-flag.js';
import { batteryReminderText, patientReminder, reminderId } from './device-messages.js';
import { createOnce, type DeviceTurn } from './device-round.js';

/**
 * A battery charge at or below batteryLowPercent: a Flag and one reminder to the patient for the
 * episode; a charge above it (or none known any more) ends the episode. The episode starts with
 * the report that brought the low charge: the Device's last report, else its last change.
 */
export async function watchBattery(turn: DeviceTurn, device: Device & { id: string }, active: StoredVersion[]): Promise<void> {
  const patient = patientOf(device)!;
  const battery = batteryOf(device);
  const low = battery !== undefined && battery <= turn.settings.batteryLowPercent;
  let ongoing = false;
  for (const stored of active) {
    if (!low || (stored.resource as Flag).subject?.reference !== patient) await resolveFlag(turn, stored);
    else ongoing = true;
  }
  if (!low || ongoing) return;
  const start = lastReportOf(device) ?? device.meta?.lastUpdated ?? turn.now.toISOString();
  const id = flagId(turn.repo.tenant, device.id, patient, 'device-battery-low', start);
  const label = deviceLabel(device);
  if (await createOnce(turn, deviceFlag('device-battery-low', device.id, label, patient, start), id)) {
    await createOnce(turn, patientReminder(patient, id, batteryReminderText(label, battery)), reminderId(turn.repo.tenant, id));
  }
}
