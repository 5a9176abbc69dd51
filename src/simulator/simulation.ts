import { patientMessages, type SeqCounters, type SimMessage, type StreamFormat } from './messages.js';
import { createPatients, type PatientProfile } from './patients.js';
import { requiredConditions, resolveScenarios, type ScenarioEvent, type ScenarioSpec } from './scenarios.js';
import { PatientTimeline } from './timeline.js';
import { minute } from './time.js';

export interface SimulationOptions {
  /** Same seed, same patients, same values, same messages. */
  seed: string;
  patients: number;
  /** Topic tenant segment; `default`. */
  tenant?: string;
  /** How the watch streams go on the wire; `compact`. Spot readings are always Open mHealth. */
  format?: StreamFormat;
  scenarios?: readonly ScenarioSpec[];
  /** Start of the run, for scenarios placed relative to it (`@+30m`). */
  start?: number;
}

export interface Simulation {
  readonly seed: string;
  readonly tenant: string;
  readonly patients: readonly PatientProfile[];
  readonly events: readonly ScenarioEvent[];
  /**
   * The messages all phones send in [from, to), in time order (then patient order). Calls for
   * consecutive ranges give the same messages as one call for the whole range; the compact
   * format's seq counters carry on from call to call.
   */
  messages(from: number, to: number): Generator<SimMessage>;
}

/** Time the generator works on at once, for all patients. */
const windowMs = minute;

export function createSimulation(options: SimulationOptions): Simulation {
  const { seed, tenant = 'default', format = 'compact', scenarios = [], start = 0 } = options;
  if (!Number.isInteger(options.patients) || options.patients < 1) throw new Error('patients must be a whole number from 1');
  if (!/^[^/+#\s]+$/.test(tenant)) throw new Error(`tenant "${tenant}" cannot be a topic level`);
  const patients = createPatients(options.patients, seed, requiredConditions(scenarios));
  const events = resolveScenarios(scenarios, start, patients);
  const timelines = patients.map((p) => new PatientTimeline(p, seed, events.filter((e) => e.patient === p.index)));
  const seqs: SeqCounters = new Map();

  function* messages(from: number, to: number): Generator<SimMessage> {
    for (let w = from; w < to; w += windowMs) {
      const end = Math.min(to, w + windowMs);
      const batch = timelines.flatMap((t) => patientMessages(t, w, end, tenant, format, seqs));
      batch.sort((a, b) => a.time - b.time || a.patient - b.patient);
      yield* batch;
    }
  }

  return { seed, tenant, patients, events, messages };
}
