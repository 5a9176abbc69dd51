import { setTimeout as sleep } from 'node:timers/promises';
import type { SimMessage } from './messages.js';
import type { Publisher } from './publish.js';
import type { Simulation } from './simulation.js';

export interface Clock {
  now(): number;
  /** Resolves after ms, or early when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }).catch(() => undefined),
};

export interface RunOptions {
  from: number;
  /** End of the simulated range; Infinity runs until the signal aborts. */
  to: number;
  /** Simulated seconds per real second; undefined publishes as fast as the broker acknowledges. */
  speed?: number;
  clock?: Clock;
  signal?: AbortSignal;
  onMessage?: (message: SimMessage) => void;
}

/**
 * Publishes the simulation's messages for [from, to), in simulated time order: paced on the
 * clock at `speed`, or back to back. Returns the simulated time reached (to, or where it stopped).
 */
export async function runSimulation(sim: Simulation, publisher: Publisher, options: RunOptions): Promise<number> {
  const { from, to, speed, clock = systemClock, signal, onMessage } = options;
  const realStart = clock.now();
  let reached = from;
  for (const message of sim.messages(from, to)) {
    if (signal?.aborted) break;
    if (speed !== undefined) {
      const wait = realStart + (message.time - from) / speed - clock.now();
      if (wait > 0) await clock.sleep(wait, signal);
      if (signal?.aborted) break;
    }
    await publisher.publish(message.topic, message.payload);
    reached = message.time;
    onMessage?.(message);
  }
  await publisher.flush();
  return signal?.aborted ? reached : to;
}
