import type { SimMessage } from './messages.js';
import type { Metric } from './metrics.js';
import type { PatientProfile } from './patients.js';
import { expectedAlert, type AlertLevel, type ScenarioEvent, type ScenarioKind } from './scenarios.js';
import { day, formatTime, formatUtc, minute } from './time.js';

/** What a scenario put on the wire, for checking alerts against. */
export interface EventReport {
  scenario: ScenarioKind;
  patient: number;
  patientId: string;
  pseudonym: string;
  device: string;
  deviceKind: string;
  metric?: Metric;
  start: string;
  end: string;
  /** The same times in the patient's own offset. */
  localStart: string;
  localEnd: string;
  expectedAlert: { level: AlertLevel; expect: string };
  /** Published readings of the event's metric and device inside its window (weight: up to a day after). */
  observed: { readings: number; min?: number; max?: number; first?: string; last?: string; values?: { time: string; value: number; diastolic?: number }[] };
  /** Messages from the device inside the window (0 for device-silent). */
  messagesInWindow: number;
}

export interface RunSummary {
  seed: string;
  tenant: string;
  patients: number;
  from: string;
  to: string;
  messages: number;
  readings: number;
  bytes: number;
  byMetric: Partial<Record<Metric, { messages: number; readings: number }>>;
  byFormat: { omh: number; compact: number };
  events: EventReport[];
  elapsedSeconds?: number;
  messagesPerSecond?: number;
}

/** Accumulates what was published and how each scenario showed on the wire. */
export class SummaryCollector {
  private messages = 0;
  private readings = 0;
  private bytes = 0;
  private readonly byMetric: RunSummary['byMetric'] = {};
  private readonly byFormat = { omh: 0, compact: 0 };
  private readonly reports: EventReport[];
  private readonly watched: { event: ScenarioEvent; report: EventReport; deviceId: string; observeUntil: number }[];

  constructor(
    private readonly seed: string,
    private readonly tenant: string,
    private readonly patients: readonly PatientProfile[],
    events: readonly ScenarioEvent[],
  ) {
    this.watched = events.map((event) => {
      const patient = patients[event.patient - 1];
      const device = patient.devices.find((d) => d.kind === event.device)!;
      const offset = patient.offsetMinutes;
      const report: EventReport = {
        scenario: event.kind,
        patient: event.patient,
        patientId: patient.fhirId,
        pseudonym: patient.pseudonym,
        device: device.id,
        deviceKind: device.kind,
        metric: event.metric,
        start: formatUtc(event.start),
        end: formatUtc(event.end),
        localStart: formatTime(event.start, offset),
        localEnd: formatTime(event.end, offset),
        expectedAlert: expectedAlert(event),
        observed: { readings: 0 },
        messagesInWindow: 0,
      };
      // the crisis's last reading and the hypoglycemia recheck fall on `end`; weight is weighed next morning
      const observeUntil = event.kind === 'weight-gain' ? event.end + day : event.kind === 'hypoxia' || event.kind === 'device-silent' ? event.end : event.end + minute;
      return { event, report, deviceId: device.id, observeUntil };
    });
    this.reports = this.watched.map((w) => w.report);
  }

  add(message: SimMessage): void {
    this.messages++;
    this.readings += message.readingCount;
    this.bytes += Buffer.byteLength(message.payload);
    const m = (this.byMetric[message.metric] ??= { messages: 0, readings: 0 });
    m.messages++;
    m.readings += message.readingCount;
    this.byFormat[message.format]++;
    for (const w of this.watched) {
      if (w.event.patient !== message.patient || w.deviceId !== message.device) continue;
      if (message.time >= w.event.start && message.time < w.event.end) w.report.messagesInWindow++;
      if (message.metric !== w.event.metric) continue;
      const offset = this.patients[message.patient - 1].offsetMinutes;
      for (const r of message.readings) {
        if (r.time < w.event.start || r.time >= w.observeUntil || r.value === null) continue;
        const o = w.report.observed;
        o.readings++;
        o.min = Math.min(o.min ?? Infinity, r.value);
        o.max = Math.max(o.max ?? -Infinity, r.value);
        o.first ??= formatTime(r.time, offset);
        o.last = formatTime(r.time, offset);
        if (w.event.kind !== 'hypoxia') (o.values ??= []).push({ time: formatTime(r.time, offset), value: r.value, ...(r.diastolic !== undefined ? { diastolic: r.diastolic } : {}) });
      }
    }
  }

  summary(from: number, to: number, elapsedMs?: number): RunSummary {
    const s: RunSummary = {
      seed: this.seed,
      tenant: this.tenant,
      patients: this.patients.length,
      from: formatUtc(from),
      to: formatUtc(to),
      messages: this.messages,
      readings: this.readings,
      bytes: this.bytes,
      byMetric: this.byMetric,
      byFormat: this.byFormat,
      events: this.reports,
    };
    if (elapsedMs !== undefined) {
      s.elapsedSeconds = Math.round(elapsedMs / 100) / 10;
      s.messagesPerSecond = elapsedMs > 0 ? Math.round((this.messages * 1000) / elapsedMs) : undefined;
    }
    return s;
  }
}
