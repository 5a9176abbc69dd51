import type { SimDevice } from './devices.js';
import type { PatientProfile } from './patients.js';

type Fetch = typeof fetch;

/** The FHIR resources of one patient: the Patient, one Device per device, and the phone. */
export function registrationResources(patient: PatientProfile): Record<string, unknown>[] {
  const subject = { reference: `Patient/${patient.fhirId}` };
  const deviceIdentifier = (value: string) => [{ system: 'urn:serium:device', value }];
  const devices = patient.devices.map((d: SimDevice) => ({
    resourceType: 'Device',
    id: d.fhirId,
    identifier: deviceIdentifier(d.id),
    status: 'active',
    manufacturer: d.manufacturer,
    modelNumber: d.model,
    deviceName: [{ name: `${d.manufacturer} ${d.model}`, type: 'model-name' }],
    type: { text: d.description },
    ...(d.specialization
      ? { specialization: [{ systemType: { coding: [{ system: 'urn:iso:std:iso:11073:10101', ...d.specialization }] } }] }
      : {}),
    version: [{ type: { text: 'firmware' }, value: d.firmware }],
    patient: subject,
  }));
  const phone = {
    resourceType: 'Device',
    id: patient.gateway.fhirId,
    identifier: deviceIdentifier(patient.gateway.id),
    status: 'active',
    deviceName: [{ name: patient.gateway.model, type: 'model-name' }],
    type: {
      coding: [{ system: 'urn:iso:std:iso:11073:10101', code: '531981', display: 'MDC_MOC_VMS_MDS_AHD' }],
      text: 'Phone relaying the devices (gateway)',
    },
    version: [{ type: { text: 'software' }, value: patient.gateway.firmware }],
    patient: subject,
  };
  return [
    {
      resourceType: 'Patient',
      id: patient.fhirId,
      identifier: [{ system: 'urn:serium:pseudonym', value: patient.pseudonym }],
      active: true,
      name: [{ text: `Simulated ${patient.index}` }],
      gender: patient.sex,
      birthDate: String(patient.birthYear),
    },
    ...devices,
    phone,
  ];
}

/**
 * Creates or updates (PUT, fixed ids) every patient's resources on the FHIR server, a few
 * requests at a time; re-running changes nothing. Throws on the first refusal.
 */
export async function registerPatients(baseUrl: string, patients: readonly PatientProfile[], fetchFn: Fetch, concurrency = 4): Promise<number> {
  const base = baseUrl.replace(/\/+$/, '');
  const queue = patients.flatMap(registrationResources);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < queue.length) {
      const resource = queue[next++];
      const url = `${base}/${resource.resourceType}/${resource.id}`;
      const res = await fetchFn(url, {
        method: 'PUT',
        headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' },
        body: JSON.stringify(resource),
      });
      if (!res.ok) throw new Error(`PUT ${url} answered ${res.status}: ${(await res.text()).slice(0, 500)}`);
      await res.arrayBuffer().catch(() => undefined);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  return queue.length;
}
