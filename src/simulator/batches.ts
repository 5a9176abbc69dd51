import { Random } from './random.js';
import { hour, second } from './time.js';

/**
 * When the patient's phone sends: every 5 to 10 s, on whole seconds. Each UTC hour's times come
 * from the hour's own random source and end 5 to 10 s before the next hour's first, so any
 * window can be computed alone and the gaps stay 5 to 10 s across hours too.
 */
export function batchTimesInHour(seed: string, patient: number, hourIndex: number): number[] {
  const r = new Random(seed, 'batches', patient, hourIndex);
  const nextFirst = firstOfHour(seed, patient, hourIndex + 1);
  const times: number[] = [];
  for (let t = firstOfHour(seed, patient, hourIndex); nextFirst - t >= 5 * second; ) {
    times.push(t);
    if (nextFirst - t <= 10 * second) break;
    t += Math.min(r.int(5, 10) * second, nextFirst - t - 5 * second);
  }
  return times;
}

function firstOfHour(seed: string, patient: number, hourIndex: number): number {
  return hourIndex * hour + new Random(seed, 'first-batch', patient, hourIndex).int(0, 4) * second;
}

/** The send times in [from, to), and the send time just before the first of them. */
export function batchTimes(
  hourTimes: (hourIndex: number) => readonly number[],
  from: number,
  to: number,
): { previous: number; times: number[] } {
  const times: number[] = [];
  let previous = -Infinity;
  for (let h = Math.floor(from / hour) - 1; h * hour < to; h++) {
    for (const t of hourTimes(h)) {
      if (t < from) previous = t;
      else if (t < to) times.push(t);
    }
  }
  return { previous, times };
}
