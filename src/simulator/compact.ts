import type { Gateway, SimDevice } from './devices.js';
import { streamed, type QualityFlag, type StreamMetric } from './metrics.js';
import type { SimReading } from './readings.js';
import { formatTime } from './time.js';

/** Payload B: evenly spaced values of one device and metric, with device and phone state. */
export interface CompactPayload {
  format: 'serium-compact/1';
  seq: number;
  start: string;
  interval_ms: number;
  unit: string;
  values: (number | null)[];
  quality?: Record<string, QualityFlag[]>;
  battery: number;
  firmware: string;
  model: string;
  manufacturer: string;
  gateway: { id: string; model: string; firmware: string; battery: number };
}

/** `readings` must be consecutive slots of one metric (each interval_ms after the previous). */
export function compactPayload(
  readings: readonly SimReading[],
  seq: number,
  device: SimDevice,
  gateway: Gateway,
  battery: { device: number; phone: number },
  offsetMinutes: number,
): CompactPayload {
  const metric = readings[0].metric as StreamMetric;
  const quality: Record<string, QualityFlag[]> = {};
  readings.forEach((r, i) => {
    if (r.quality) quality[String(i)] = r.quality;
  });
  return {
    format: 'serium-compact/1',
    seq,
    start: formatTime(readings[0].time, offsetMinutes),
    interval_ms: streamed[metric].intervalMs,
    unit: streamed[metric].unit,
    values: readings.map((r) => r.value),
    ...(Object.keys(quality).length ? { quality } : {}),
    battery: battery.device,
    firmware: device.firmware,
    model: device.model,
    manufacturer: device.manufacturer,
    gateway: { id: gateway.id, model: gateway.model, firmware: gateway.firmware, battery: battery.phone },
  };
}
