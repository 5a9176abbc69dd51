/** The parts of a device topic: {root}/{tenant}/{patient}/{device}/{metric}, root normally "serium". */
export interface DeviceTopic {
  root: string;
  tenant: string;
  /** The patient's pseudonym (Patient.identifier with system urn:serium:pseudonym). */
  patient: string;
  /** The device's identifier value. */
  device: string;
  /** An Open mHealth schema name, optionally with @version. */
  metric: string;
}

/** The last level of the topic Serium publishes rejections on. */
export const errorsLevel = 'errors';

/** The topic filter that receives every device topic (and the errors topics, which are skipped). */
export function deviceTopicFilter(root: string): string {
  return `${root}/+/+/+/+`;
}

/** Parses a device topic; undefined when it has not the five levels or a level is empty. */
export function parseDeviceTopic(topic: string, root: string): DeviceTopic | undefined {
  const parts = topic.split('/');
  if (parts.length !== 5 || parts[0] !== root || parts.some((p) => p === '')) return undefined;
  const [, tenant, patient, device, metric] = parts;
  return { root, tenant, patient, device, metric };
}

/** Where the reason a message from this device was rejected is published. */
export function errorsTopic(t: Pick<DeviceTopic, 'root' | 'tenant' | 'patient' | 'device'>): string {
  return `${t.root}/${t.tenant}/${t.patient}/${t.device}/${errorsLevel}`;
}
