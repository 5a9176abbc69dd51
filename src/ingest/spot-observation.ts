import type { Identifier, Observation } from '@medplum/fhirtypes';
import { readingId, readingIdentifier, type ReadingKey } from './identity.js';
import type { Reading } from './reading.js';
import { gatewayDeviceUrl } from './sampled-observation.js';
import type { DeviceTopic } from './topic.js';

export const omhHeaderIdSystem = 'https://serium.dev/fhir/NamingSystem/omh-header-id';

export interface Attachment {
  tenant: string;
  topic: DeviceTopic;
  patientId: string;
  deviceId: string;
  gatewayId?: string;
}

/** A reading tied to its patient, device and gateway, with its deterministic id and identifier. */
export function spotObservation(r: Reading, a: Attachment): { id: string; resource: Observation } {
  const key: ReadingKey = {
    tenant: a.tenant,
    device: a.topic.device,
    pseudonym: a.topic.patient,
    code: r.observation.code?.coding?.[0]?.code ?? r.metric,
    start: r.start,
    durationMs: r.durationMs,
    supplemental: r.supplemental,
  };
  const identifier: Identifier[] = [readingIdentifier(key)];
  if (r.sourceId) identifier.push({ system: omhHeaderIdSystem, value: r.sourceId });
  const extension = [...(r.observation.extension ?? [])];
  if (a.gatewayId) extension.push({ url: gatewayDeviceUrl, valueReference: { reference: `Device/${a.gatewayId}` } });
  const resource: Observation = {
    ...r.observation,
    ...(extension.length ? { extension } : {}),
    identifier: [...identifier, ...(r.observation.identifier ?? [])],
    subject: { reference: `Patient/${a.patientId}` },
    device: { reference: `Device/${a.deviceId}` },
  };
  return { id: readingId(key), resource };
}
