import { Rejection, type Metric, type SampleBatch } from './reading.js';

/** How samples of a high-rate metric are packed: one Observation per window, one slot per period. */
export interface Packing {
  windowMs: number;
  periodMs: number;
}

/**
 * The metrics a compact payload may carry. 1 Hz signals pack a minute into one Observation (the
 * PHD IG's PhdRtsaObservation pattern); steps per minute pack an hour.
 */
export const packing: Partial<Record<Metric, Packing>> = {
  'heart-rate': { windowMs: 60_000, periodMs: 1000 },
  'oxygen-saturation': { windowMs: 60_000, periodMs: 1000 },
  'respiratory-rate': { windowMs: 60_000, periodMs: 1000 },
  'step-count': { windowMs: 3_600_000, periodMs: 60_000 },
};

/** A sample's window (ms since epoch of its start) and slot in it. */
export interface Placement {
  windowStart: number;
  slot: number;
}

/** The window a sample at `time` (ms since epoch) falls in, and its slot there (nearest period). */
export function placeSample(time: number, p: Packing): Placement {
  let windowStart = Math.floor(time / p.windowMs) * p.windowMs;
  let slot = Math.round((time - windowStart) / p.periodMs);
  if (slot * p.periodMs >= p.windowMs) {
    windowStart += p.windowMs;
    slot = 0;
  }
  return { windowStart, slot };
}

/**
 * Where each sample of a batch lands. Two samples of one batch in the same slot (faster than the
 * packing period, or jittered offsets) would leave one of them unstored: the batch is refused.
 */
export function placeBatch(batch: SampleBatch): Placement[] {
  const p = packing[batch.metric];
  if (!p) throw new Rejection('unknown-metric', `${batch.metric} is not sent as a compact stream`);
  const seen = new Map<string, number>();
  return batch.samples.map((s, i) => {
    const placed = placeSample(Date.parse(s.time), p);
    const key = `${placed.windowStart}/${placed.slot}`;
    const other = seen.get(key);
    if (other !== undefined) {
      throw new Rejection('schema', `samples ${other} and ${i} fall in the same ${p.periodMs} ms slot (${s.time}); send at most one sample per ${p.periodMs} ms`);
    }
    seen.set(key, i);
    return placed;
  });
}
