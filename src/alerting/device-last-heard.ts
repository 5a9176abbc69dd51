import type { Observation } from '@medplum/fhirtypes';
import type { SearchContext } from '../search/search.js';
import { find } from './device-round.js';

/**
 * When an Observation's reading was taken: the end of its window (packed samples, intervals),
 * else its time. ISO, or undefined when it has none.
 */
export function readingTime(o: Observation): string | undefined {
  const t = o.effectivePeriod?.end ?? o.effectivePeriod?.start ?? o.effectiveDateTime ?? o.effectiveInstant;
  return t && !Number.isNaN(Date.parse(t)) ? new Date(t).toISOString() : undefined;
}

const ofDevice = (patient: string, deviceId: string) => ({ patient, device: `Device/${deviceId}` });

/**
 * Whether the patient has a reading from the device taken after `after` (ISO). Looks only at the
 * time since then, so a device that reports costs a short index range, and a silent one an empty one.
 */
export async function readingAfter(ctx: SearchContext, patient: string, deviceId: string, after: string): Promise<boolean> {
  const found = await find<Observation>(ctx, 'Observation', { ...ofDevice(patient, deviceId), date: `gt${after}`, _count: '20' });
  // an interval with no end matches every later date; only a reading time after `after` counts
  return found.some((o) => {
    const t = readingTime(o);
    return t !== undefined && Date.parse(t) > Date.parse(after);
  });
}

/** The time of the patient's newest reading from the device (ISO), if there is any. */
export async function newestReading(ctx: SearchContext, patient: string, deviceId: string): Promise<string | undefined> {
  const found = await find<Observation>(ctx, 'Observation', { ...ofDevice(patient, deviceId), _sort: '-date', _count: '20' });
  const times = found.map(readingTime).filter((t): t is string => t !== undefined).sort();
  return times.at(-1);
}
