import type { Flag } from '@medplum/fhirtypes';
import { deterministicId } from '../ingest/identity.js';
import type { StoredVersion } from '../repository/stored.js';
import { marked, watchIdentity, type DeviceTurn } from './device-round.js';

export const alertSystem = 'https://serium.dev/fhir/CodeSystem/alert';
/** The standard extension pointing a Flag at the resource it is about: here the Device. */
export const flagDetailUrl = 'http://hl7.org/fhir/StructureDefinition/flag-detail';

export type DeviceCondition = 'device-silent' | 'device-battery-low';

const titles: Record<DeviceCondition, string> = {
  'device-silent': 'Device not sending readings',
  'device-battery-low': 'Device battery low',
};

/** One Flag per device, patient, condition and episode: the same episode always gets the same id. */
export function flagId(tenant: string, deviceId: string, patient: string, condition: DeviceCondition, start: string): string {
  return deterministicId(tenant, 'device-watch', deviceId, patient, condition, start);
}

export function deviceFlag(condition: DeviceCondition, deviceId: string, deviceLabel: string, patient: string, start: string): Flag {
  return {
    resourceType: 'Flag',
    extension: [{ url: flagDetailUrl, valueReference: { reference: `Device/${deviceId}`, display: deviceLabel } }],
    status: 'active',
    // R4 flag-category has no code for equipment; a device that needs the patient's attention is an administrative matter, not a clinical finding
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/flag-category', code: 'admin', display: 'Administrative' }], text: 'Monitoring equipment' }],
    code: { coding: [{ system: alertSystem, code: condition, display: titles[condition] }], text: titles[condition] },
    subject: { reference: patient },
    period: { start },
    author: watchIdentity,
  };
}

export function conditionOf(f: Flag): DeviceCondition | undefined {
  const code = f.code?.coding?.find((c) => c.system === alertSystem)?.code;
  return code === 'device-silent' || code === 'device-battery-low' ? code : undefined;
}

/** The id of the Device a watch Flag is about. */
export function flaggedDevice(f: Flag): string | undefined {
  const ref = f.extension?.find((e) => e.url === flagDetailUrl)?.valueReference?.reference;
  return ref?.startsWith('Device/') ? ref.slice(7) : undefined;
}

/** Ends an episode: the Flag turns inactive with period.end, unless someone changed it meanwhile (412, tried again next round). */
export async function resolveFlag(turn: DeviceTurn, stored: StoredVersion): Promise<void> {
  const flag = stored.resource as Flag;
  const start = flag.period?.start;
  const now = turn.now.toISOString();
  const end = start && Date.parse(start) > turn.now.getTime() ? start : now;
  await turn.repo.update(marked<Flag>({ ...flag, status: 'inactive', period: { ...flag.period, end } }), stored.id, stored.versionId);
}
