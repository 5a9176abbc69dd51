import { batchTimes } from './batches.js';
import { compactPayload } from './compact.js';
import type { SimDevice } from './devices.js';
import { isStreamMetric, streamed, type Metric } from './metrics.js';
import { omhDataPoint } from './omh.js';
import type { PatientProfile } from './patients.js';
import type { SimReading } from './readings.js';
import { isSilenced } from './scenarios.js';
import type { PatientTimeline } from './timeline.js';

/** How the watch's streams go on the wire: compact, Open mHealth, or alternating by patient. */
export type StreamFormat = 'compact' | 'omh' | 'mixed';

/** One MQTT message ready to publish. */
export interface SimMessage {
  topic: string;
  payload: string;
  /** Simulated send time, UTC ms. */
  time: number;
  /** 1-based patient index. */
  patient: number;
  device: string;
  metric: Metric;
  format: 'omh' | 'compact';
  /** Readings carried (values in a compact message, data points in an Open mHealth one). */
  readingCount: number;
  readings: readonly SimReading[];
}

/** Counters of the compact format's seq, per device and metric, across one run. */
export type SeqCounters = Map<string, number>;

export function streamFormatOf(format: StreamFormat, patient: PatientProfile): 'compact' | 'omh' {
  return format === 'mixed' ? (patient.index % 2 === 1 ? 'compact' : 'omh') : format;
}

export function topicOf(tenant: string, patient: PatientProfile, device: SimDevice, metric: Metric): string {
  return `serium/${tenant}/${patient.pseudonym}/${device.id}/${metric}`;
}

/**
 * The messages one patient's phone sends in [from, to): at each send time, one message per
 * device and metric for what arrived since the previous send.
 */
export function patientMessages(
  timeline: PatientTimeline,
  from: number,
  to: number,
  tenant: string,
  format: StreamFormat,
  seqs: SeqCounters,
): SimMessage[] {
  const { patient, seed, events } = timeline;
  const { previous, times } = batchTimes((h) => timeline.sendTimesInHour(h), from, to);
  if (times.length === 0) return [];
  const readings = timeline.readings(previous, times[times.length - 1]);
  const streamFormat = streamFormatOf(format, patient);
  const out: SimMessage[] = [];
  let next = 0;
  for (const sendAt of times) {
    const groups = new Map<string, SimReading[]>();
    for (; next < readings.length && readings[next].syncAt < sendAt; next++) {
      const r = readings[next];
      const key = `${r.device}/${r.metric}`;
      const group = groups.get(key);
      if (group) group.push(r);
      else groups.set(key, [r]);
    }
    for (const group of groups.values()) {
      const device = patient.devices.find((d) => d.kind === group[0].device) as SimDevice;
      if (isSilenced(events, device.kind, sendAt)) continue;
      const metric = group[0].metric;
      const topic = topicOf(tenant, patient, device, metric);
      const base = { topic, time: sendAt, patient: patient.index, device: device.id, metric };
      if (device.kind === 'watch' && isStreamMetric(metric) && streamFormat === 'compact') {
        for (const run of consecutiveRuns(group, streamed[metric].intervalMs)) {
          const key = `${device.id}/${metric}`;
          const seq = (seqs.get(key) ?? 0) + 1;
          seqs.set(key, seq);
          const battery = { device: timeline.watchBattery(sendAt), phone: timeline.phoneBattery(sendAt) };
          const payload = compactPayload(run, seq, device, patient.gateway, battery, patient.offsetMinutes);
          out.push({ ...base, payload: JSON.stringify(payload), format: 'compact', readingCount: run.length, readings: run });
        }
      } else {
        const valued = group.filter((r) => r.value !== null); // Open mHealth has no way to say "no value"
        if (valued.length === 0) continue;
        const points = valued.map((r) => omhDataPoint(r, device, sendAt, patient.offsetMinutes, seed));
        const payload = JSON.stringify(points.length === 1 ? points[0] : points);
        out.push({ ...base, payload, format: 'omh', readingCount: points.length, readings: valued });
      }
    }
  }
  return out;
}

/** Splits readings where a slot is missing, since a compact message holds evenly spaced values. */
function consecutiveRuns(readings: SimReading[], intervalMs: number): SimReading[][] {
  const runs: SimReading[][] = [];
  let run: SimReading[] = [];
  for (const r of readings) {
    if (run.length > 0 && r.time !== run[run.length - 1].time + intervalMs) {
      runs.push(run);
      run = [];
    }
    run.push(r);
  }
  if (run.length) runs.push(run);
  return runs;
}
