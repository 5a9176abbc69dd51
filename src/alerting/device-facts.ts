import type { Device } from '@medplum/fhirtypes';
import { gatewayIdentifierSystem, lastReportUrl } from '../ingest/devices.js';

/** MDC_ATTR_VAL_BATT_CHARGE, the Device.property type the ingest keeps the battery charge under. */
const batteryCode = { system: 'urn:iso:std:iso:11073:10101', code: '67996' };

/** The battery charge in percent, as the Device last stored it. */
export function batteryOf(d: Device): number | undefined {
  const p = d.property?.find((x) => x.type?.coding?.some((c) => c.system === batteryCode.system && c.code === batteryCode.code));
  const value = p?.valueQuantity?.[0]?.value;
  return typeof value === 'number' ? value : undefined;
}

/** The time of the newest report the ingest wrote into the Device (ISO), when it wrote one. */
export function lastReportOf(d: Device): string | undefined {
  const at = d.extension?.find((e) => e.url === lastReportUrl)?.valueInstant;
  return at && !Number.isNaN(Date.parse(at)) ? new Date(at).toISOString() : undefined;
}

/** The Patient reference (Patient/id) of a device given to a patient. */
export function patientOf(d: Device): string | undefined {
  const ref = d.patient?.reference;
  return ref && /^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(ref) ? ref : undefined;
}

/**
 * Whether the watch looks after this Device: active and given to a patient. The phones that relay
 * readings (gateway Devices) are left out: when a phone goes quiet, the devices behind it do too,
 * and those are what the patient is asked about.
 */
export function isWatched(d: Device): boolean {
  if (d.status !== 'active' || !patientOf(d)) return false;
  return !d.identifier?.some((i) => i.system === gatewayIdentifierSystem);
}

/** How a message names the device to a person: its name, else make and model, else its type. */
export function deviceLabel(d: Device): string {
  const name = d.deviceName?.find((n) => n.name)?.name;
  if (name) return name;
  const makeModel = [d.manufacturer, d.modelNumber].filter(Boolean).join(' ');
  if (makeModel) return makeModel;
  return d.type?.text ?? d.type?.coding?.find((c) => c.display)?.display ?? 'monitoring device';
}
