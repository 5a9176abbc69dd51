import type { Device, DeviceProperty, DeviceVersion } from '@medplum/fhirtypes';
import type { Repository } from '../repository/repository.js';
import { deterministicId } from './identity.js';
import type { DeviceInfo } from './reading.js';

const mdc = 'urn:iso:std:iso:11073:10101';
const ucum = 'http://unitsofmeasure.org';
export const gatewayIdentifierSystem = 'urn:serium:gateway';
/** MDC_ID_PROD_SPEC_FW: firmware revision, as the PHD IG types Device.version. */
const firmwareType = { coding: [{ system: mdc, code: '531975', display: 'MDC_ID_PROD_SPEC_FW' }] };
/** MDC_ATTR_VAL_BATT_CHARGE: battery charge in percent. */
const batteryType = { coding: [{ system: mdc, code: '67996', display: 'MDC_ATTR_VAL_BATT_CHARGE' }] };
/** A battery change smaller than this is not worth a new Device version. */
const batteryStep = 5;

/** Extension holding the time of the newest report applied to a Device, so an older one cannot undo it. */
export const lastReportUrl = 'https://serium.dev/fhir/StructureDefinition/device-last-report';

/**
 * The Device with the payload's details applied, or undefined when nothing worth storing changed
 * or the report is older than the one the Device already reflects (a re-sent or late message).
 */
export function withDeviceInfo(device: Device, info: DeviceInfo, reportedAt?: string): Device | undefined {
  const last = device.extension?.find((e) => e.url === lastReportUrl)?.valueInstant;
  if (reportedAt && last && Date.parse(reportedAt) < Date.parse(last)) return undefined;
  const next: Device = { ...device };
  let changed = false;
  if (info.manufacturer !== undefined && info.manufacturer !== device.manufacturer) {
    next.manufacturer = info.manufacturer;
    changed = true;
  }
  if (info.model !== undefined && info.model !== device.modelNumber) {
    next.modelNumber = info.model;
    changed = true;
  }
  const firmware = device.version?.find(isFirmware);
  if (info.firmware !== undefined && info.firmware !== firmware?.value) {
    next.version = [...(device.version ?? []).filter((v) => !isFirmware(v)), { type: firmwareType, value: info.firmware }];
    changed = true;
  }
  const battery = device.property?.find(isBattery)?.valueQuantity?.[0]?.value;
  if (info.battery !== undefined && (battery === undefined || Math.abs(battery - info.battery) >= batteryStep || (info.battery <= batteryStep && battery !== info.battery))) {
    const property: DeviceProperty = { type: batteryType, valueQuantity: [{ value: info.battery, unit: '%', system: ucum, code: '%' }] };
    next.property = [...(device.property ?? []).filter((p) => !isBattery(p)), property];
    changed = true;
  }
  if (!changed) return undefined;
  if (reportedAt) {
    next.extension = [...(device.extension ?? []).filter((e) => e.url !== lastReportUrl), { url: lastReportUrl, valueInstant: new Date(reportedAt).toISOString() }];
  }
  return next;
}

function isFirmware(v: DeviceVersion): boolean {
  return v.type?.coding?.some((c) => c.system === mdc && c.code === '531975') ?? false;
}

function isBattery(p: DeviceProperty): boolean {
  return p.type?.coding?.some((c) => c.system === mdc && c.code === '67996') ?? false;
}

/** What a payload reports of a device, and the time of its newest reading. */
export interface DeviceReport {
  info: DeviceInfo;
  reportedAt?: string;
}

interface Known {
  fingerprint: string;
  reportedAt?: string;
}

/**
 * Keeps Devices current with what payloads report (model, firmware, battery), remembering what
 * it last stored so an unchanged report costs no database round trip. What a transaction wrote
 * is remembered only once settle(true) says it committed.
 */
export class DeviceKeeper {
  private readonly known = new Map<string, Known>();
  private readonly pending = new Map<string, Known>();

  /**
   * Applies each device's report to its Device when it differs from what was last stored: one
   * query reads every Device not seen with these details before.
   */
  async report(repo: Repository, reports: Map<string, DeviceReport>): Promise<void> {
    const fresh = [...reports].filter(([id, r]) => !this.covers(`${repo.tenant}/${id}`, r));
    if (!fresh.length) return;
    const current = await repo.currentMany('Device', fresh.map(([id]) => id), true);
    for (const [id, r] of fresh) {
      const stored = current.get(id);
      if (stored && !stored.deleted) {
        const next = withDeviceInfo(stored.resource as Device, r.info, r.reportedAt);
        if (next) await repo.update(next, id);
      }
      this.remember(`${repo.tenant}/${id}`, r);
    }
  }

  /**
   * The Device id of the phone that relayed a message, created on first sight (with the
   * patient it serves) and updated when its details change.
   */
  async gateway(repo: Repository, patientId: string, gateway: DeviceInfo & { id: string }, reportedAt?: string): Promise<string> {
    const id = deterministicId(repo.tenant, 'gateway', gateway.id);
    const key = `${repo.tenant}/${id}`;
    const { id: _value, ...info } = gateway;
    const report = { info, reportedAt };
    if (this.covers(key, report)) return id;
    const current = await repo.current('Device', id, true);
    if (!current || current.deleted) {
      const created: Device = {
        resourceType: 'Device',
        identifier: [{ system: gatewayIdentifierSystem, value: gateway.id }],
        status: 'active',
        type: { coding: [{ system: mdc, code: '531981', display: 'MDC_MOC_VMS_MDS_AHD' }], text: 'Personal health gateway' },
        patient: { reference: `Patient/${patientId}` },
      };
      await repo.update(withDeviceInfo(created, info, reportedAt) ?? created, id);
    } else {
      const next = withDeviceInfo(current.resource as Device, info, reportedAt);
      if (next) await repo.update(next, id);
    }
    this.remember(key, report);
    return id;
  }

  /** Ends a transaction: what it wrote becomes known when it committed, and is forgotten when not. */
  settle(committed: boolean): void {
    if (committed) {
      if (this.known.size > 200_000) this.known.clear();
      for (const [k, v] of this.pending) this.known.set(k, v);
    }
    this.pending.clear();
  }

  /** True when the device's stored details already say this, or a newer report did. */
  private covers(key: string, r: DeviceReport): boolean {
    const k = this.pending.get(key) ?? this.known.get(key);
    if (!k) return false;
    if (k.fingerprint === JSON.stringify(r.info)) return true;
    return !!(r.reportedAt && k.reportedAt && Date.parse(r.reportedAt) < Date.parse(k.reportedAt));
  }

  private remember(key: string, r: DeviceReport): void {
    const had = this.pending.get(key) ?? this.known.get(key);
    const newer = !had?.reportedAt || (r.reportedAt !== undefined && Date.parse(r.reportedAt) >= Date.parse(had.reportedAt));
    if (newer) this.pending.set(key, { fingerprint: JSON.stringify(r.info), reportedAt: r.reportedAt });
  }
}
