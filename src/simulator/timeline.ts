import { batchTimesInHour } from './batches.js';
import { phoneBattery, watchBattery } from './battery.js';
import { dayPlan, stepsOfDay, type DayPlan } from './day-plan.js';
import { streamed, type StreamMetric } from './metrics.js';
import type { PatientProfile } from './patients.js';
import type { SimReading } from './readings.js';
import { isSilenced, type ScenarioEvent } from './scenarios.js';
import { spotReadings } from './spot-readings.js';
import { absent, noValue, streamBlock, type StreamBlock } from './streams.js';
import { hour, localDay, localMidnight, minute } from './time.js';

const streamMetrics = Object.keys(streamed) as StreamMetric[];

/**
 * Everything one patient's devices measure, for any stretch of simulated time. Days and hour
 * blocks are derived on demand and cached a little, so walking forward through time is cheap
 * and the result never depends on how the time is cut into windows.
 */
export class PatientTimeline {
  private readonly plans = new Map<number, DayPlan>();
  private readonly steps = new Map<number, Int16Array>();
  private readonly spots = new Map<number, SimReading[]>();
  private readonly blocks = new Map<string, StreamBlock>();
  private readonly sends = new Map<number, number[]>();

  constructor(
    readonly patient: PatientProfile,
    readonly seed: string,
    readonly events: readonly ScenarioEvent[],
  ) {}

  plan(day: number): DayPlan {
    return cached(this.plans, day, 4, () => dayPlan(this.patient, this.seed, day));
  }

  planAt(t: number): DayPlan {
    return this.plan(localDay(t, this.patient.offsetMinutes));
  }

  stepsAt(t: number): number {
    const day = localDay(t, this.patient.offsetMinutes);
    const steps = cached(this.steps, day, 3, () => stepsOfDay(this.plan(day), this.patient, this.seed));
    return steps[Math.floor((t - localMidnight(day, this.patient.offsetMinutes)) / minute)];
  }

  /** When the phone sends, in one UTC hour. */
  sendTimesInHour(hourIndex: number): number[] {
    return cached(this.sends, hourIndex, 3, () => batchTimesInHour(this.seed, this.patient.index, hourIndex));
  }

  watchBattery(t: number): number {
    const day = localDay(t, this.patient.offsetMinutes);
    return watchBattery(this.plan(day), this.plan(day - 1), t);
  }

  phoneBattery(t: number): number {
    const day = localDay(t, this.patient.offsetMinutes);
    return phoneBattery(this.plan(day), this.plan(day - 1), t);
  }

  /** Readings the phone receives in [from, to) (by syncAt), sorted by syncAt then time. */
  readings(from: number, to: number): SimReading[] {
    const out: SimReading[] = [];
    const silent = (device: SimReading['device'], t: number) => isSilenced(this.events, device, t);
    for (const metric of streamMetrics) {
      const interval = streamed[metric].intervalMs;
      // a slot measured at t is complete, and sent, at t + interval
      for (let h = Math.floor((from - interval) / hour); h * hour < to - interval; h++) {
        const block = this.block(metric, h);
        const first = Math.max(0, Math.ceil((from - interval - block.start) / interval));
        const last = Math.min(block.values.length, Math.ceil((to - interval - block.start) / interval));
        for (let i = first; i < last; i++) {
          const v = block.values[i];
          if (v === absent) continue;
          const time = block.start + i * interval;
          if (silent('watch', time)) continue;
          const reading: SimReading = { metric, device: 'watch', time, durationMs: metric === 'step-count' ? interval : 0, value: v === noValue ? null : v, syncAt: time + interval };
          const flags = block.flags.get(i);
          if (flags) reading.quality = flags;
          out.push(reading);
        }
      }
    }
    const offset = this.patient.offsetMinutes;
    for (let day = localDay(from - hour, offset); day <= localDay(to, offset); day++) {
      const plan = this.plan(day);
      const spots = cached(this.spots, day, 3, () => spotReadings(this.patient, this.seed, plan, this.events));
      for (const s of spots) if (s.syncAt >= from && s.syncAt < to && !silent(s.device, s.time)) out.push(s);
    }
    return out.sort((a, b) => a.syncAt - b.syncAt || a.time - b.time);
  }

  private block(metric: StreamMetric, hourIndex: number): StreamBlock {
    return cached(this.blocks, `${metric}:${hourIndex}`, 2 * streamMetrics.length, () =>
      streamBlock(metric, hourIndex, this.patient, this.seed, this, this.events),
    );
  }
}

/** Get or make an entry; beyond `keep` entries the oldest goes. */
function cached<K, V>(map: Map<K, V>, key: K, keep: number, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
    if (map.size > keep) map.delete(map.keys().next().value as K);
  }
  return value;
}
