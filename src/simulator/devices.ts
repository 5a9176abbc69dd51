import type { Metric } from './metrics.js';

/** The kinds of device a simulated patient may have at home. */
export const deviceKinds = ['watch', 'cuff', 'scale', 'glucometer', 'oximeter', 'thermometer'] as const;
export type DeviceKind = (typeof deviceKinds)[number];

export function isDeviceKind(name: string): name is DeviceKind {
  return (deviceKinds as readonly string[]).includes(name);
}

/** A model in the (fictional) catalogue. */
export interface DeviceModel {
  kind: DeviceKind;
  manufacturer: string;
  model: string;
  firmware: string;
  /** Human-readable type, for Device.type.text. */
  description: string;
  /** IEEE 11073 device specialization (MDC code and name), when there is one. */
  specialization?: { code: string; display: string };
  metrics: readonly Metric[];
}

export const catalogue: Record<DeviceKind, DeviceModel> = {
  watch: {
    kind: 'watch',
    manufacturer: 'Acme',
    model: 'W2',
    firmware: '2.4.1',
    description: 'Wrist-worn heart-rate, oxygen-saturation and activity monitor',
    metrics: ['heart-rate', 'oxygen-saturation', 'respiratory-rate', 'step-count'],
  },
  cuff: {
    kind: 'cuff',
    manufacturer: 'Acme',
    model: 'BP-5',
    firmware: '1.8.0',
    description: 'Upper-arm blood-pressure monitor',
    specialization: { code: '528391', display: 'MDC_DEV_SPEC_PROFILE_BP' },
    metrics: ['blood-pressure', 'heart-rate'],
  },
  scale: {
    kind: 'scale',
    manufacturer: 'Northwind Medical',
    model: 'S3',
    firmware: '3.0.2',
    description: 'Body-weight scale',
    metrics: ['body-weight', 'body-height'],
  },
  glucometer: {
    kind: 'glucometer',
    manufacturer: 'Northwind Medical',
    model: 'G1',
    firmware: '1.2.7',
    description: 'Blood-glucose meter',
    specialization: { code: '528401', display: 'MDC_DEV_SPEC_PROFILE_GLUCOSE' },
    metrics: ['blood-glucose'],
  },
  oximeter: {
    kind: 'oximeter',
    manufacturer: 'Acme',
    model: 'OX-1',
    firmware: '1.0.4',
    description: 'Fingertip pulse oximeter',
    specialization: { code: '528388', display: 'MDC_DEV_SPEC_PROFILE_PULS_OXIM' },
    metrics: ['oxygen-saturation', 'heart-rate'],
  },
  thermometer: {
    kind: 'thermometer',
    manufacturer: 'Contoso Health',
    model: 'T-20',
    firmware: '2.1.0',
    description: 'Ear thermometer',
    metrics: ['body-temperature'],
  },
};

/** One device of one patient. */
export interface SimDevice extends DeviceModel {
  /** The device identifier (system urn:serium:device) and MQTT topic segment. */
  id: string;
  /** FHIR Device id used at registration, e.g. sim-0001-watch. */
  fhirId: string;
}

/** The patient's phone, which relays every reading. */
export interface Gateway {
  id: string;
  fhirId: string;
  model: string;
  firmware: string;
}

export const phoneModels = ['Pixel 8', 'Pixel 7a', 'Galaxy A54', 'Galaxy S23', 'iPhone 13', 'iPhone 15', 'Moto G84'] as const;
export const gatewayFirmware = 'Serium Gateway 1.3.0';
