import type { MealRelation } from './day-plan.js';
import type { DeviceKind } from './devices.js';
import type { Metric, QualityFlag } from './metrics.js';

/** One measurement of one device, before it is put on the wire. */
export interface SimReading {
  metric: Metric;
  device: DeviceKind;
  /** When it was measured (start of the interval for step counts), UTC ms. */
  time: number;
  /** 0 for a point in time; 60000 for a minute of steps. */
  durationMs: number;
  /** The value in the metric's unit (systolic for blood pressure); null when the sensor gave none. */
  value: number | null;
  diastolic?: number;
  quality?: QualityFlag[];
  meal?: MealRelation;
  /** Body temperature taken on waking. */
  onWaking?: boolean;
  /** When the phone has it and may send it, UTC ms. */
  syncAt: number;
}
