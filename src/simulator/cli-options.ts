import { parseArgs } from 'node:util';
import type { StreamFormat } from './messages.js';
import { parseScenario, scenarioKinds, type ScenarioSpec } from './scenarios.js';
import { day, hour, minute, second } from './time.js';

export interface CliOptions {
  patients: number;
  seed: string;
  mqtt: string;
  fhir: string;
  register: boolean;
  tenant: string;
  from: number;
  /** End of the simulated range; Infinity when live with no duration. */
  to: number;
  /** undefined for a fast run (as fast as the broker accepts). */
  speed?: number;
  scenarios: ScenarioSpec[];
  format: StreamFormat;
  maxInFlight: number;
  quiet: boolean;
  help: boolean;
}

export const usage = `Usage: npm run simulate -- [options]

Publishes home-monitoring readings of simulated patients over MQTT (topics
serium/<tenant>/<pseudonym>/<device>/<metric>), optionally registering them first.

Options:
  --patients <n>        simulated patients (default 10)
  --seed <text>         seed: the same seed gives the same patients and messages (default serium)
  --mqtt <url>          broker (default $MQTT_URL, else Serium's embedded broker mqtt://127.0.0.1:$MQTT_PORT, port 1884)
  --fhir <url>          FHIR base URL for --register (default $FHIR_URL or http://localhost:8080/fhir)
  --register            PUT each Patient and its Devices (ids sim-0001, sim-0001-watch, ...) first
  --tenant <name>       topic tenant (default default)
  --from <time>         simulated start, RFC 3339 (e.g. 2026-11-01T00:00:00Z) or "now"
  --days <n>, --hours <n>, --minutes <n>
                        simulated duration (summed); a fast run defaults to 1 day,
                        a live run without a duration runs until Ctrl-C
  --fast                publish as fast as the broker acknowledges (the default when --from
                        is given without --speed); without --from the range ends now
  --speed <x>           live: x simulated seconds per real second (default 1)
  --scenario <spec>     inject an event; repeatable. spec = kind:patient[:device]@time[~duration]
                        kinds: ${scenarioKinds.join(', ')}
                        time: RFC 3339 or +30m / +2h / +1d12h from the start; device: device-silent only
                        e.g. hypoxia:2@+30m  hypertensive-crisis:1@2026-11-02T08:05:00+01:00
                             device-silent:3:cuff@+1d  weight-gain:4@+6h~3d
  --format <f>          watch streams as compact (default), omh, or mixed (odd patients compact,
                        even patients Open mHealth); spot readings are always Open mHealth
  --max-inflight <n>    messages awaiting PUBACK at once (default 200)
  --quiet               no progress on stderr
  --help                this text

At the end a JSON summary goes to stdout: messages and readings per metric, and each injected
event with the patient's pseudonym, its times, the expected alert level and what was published.
`;

export class UsageError extends Error {}

/** Reads the command line; throws UsageError with a message for the user when it is wrong. */
export function parseCliOptions(argv: string[], env: Record<string, string | undefined>, now: number): CliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        patients: { type: 'string' },
        seed: { type: 'string' },
        mqtt: { type: 'string' },
        fhir: { type: 'string' },
        register: { type: 'boolean' },
        tenant: { type: 'string' },
        from: { type: 'string' },
        days: { type: 'string' },
        hours: { type: 'string' },
        minutes: { type: 'string' },
        fast: { type: 'boolean' },
        speed: { type: 'string' },
        scenario: { type: 'string', multiple: true },
        format: { type: 'string' },
        'max-inflight': { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }

  const number = (name: string, text: string | undefined, fallback: number, min: number, integer: boolean) => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
      throw new UsageError(`--${name} must be ${integer ? 'a whole number' : 'a number'} >= ${min}, not "${text}"`);
    }
    return n;
  };

  const format = values.format ?? 'compact';
  if (format !== 'compact' && format !== 'omh' && format !== 'mixed') throw new UsageError(`--format must be compact, omh or mixed, not "${format}"`);
  if (values.fast && values.speed !== undefined) throw new UsageError('--fast and --speed exclude each other');
  const fast = values.fast === true || (values.from !== undefined && values.speed === undefined);
  const speed = fast ? undefined : number('speed', values.speed, 1, Number.MIN_VALUE, false);

  const durationGiven = values.days !== undefined || values.hours !== undefined || values.minutes !== undefined;
  const duration =
    number('days', values.days, 0, 0, false) * day + number('hours', values.hours, 0, 0, false) * hour + number('minutes', values.minutes, 0, 0, false) * minute;
  if (durationGiven && duration <= 0) throw new UsageError('the duration must be more than 0');
  const length = durationGiven ? duration : fast ? day : Infinity;

  let from: number;
  if (values.from === undefined || values.from === 'now') {
    const aligned = Math.floor(now / second) * second;
    from = fast && values.from === undefined ? aligned - length : aligned;
  } else {
    from = Date.parse(values.from);
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(values.from) || Number.isNaN(from)) {
      throw new UsageError(`--from must be RFC 3339 with a zone (e.g. 2026-11-01T00:00:00Z) or "now", not "${values.from}"`);
    }
  }

  let scenarios: ScenarioSpec[];
  try {
    scenarios = (values.scenario ?? []).map(parseScenario);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }

  return {
    patients: number('patients', values.patients, 10, 1, true),
    seed: values.seed ?? 'serium',
    mqtt: values.mqtt ?? env.MQTT_URL ?? `mqtt://127.0.0.1:${env.MQTT_PORT || 1884}`,
    fhir: values.fhir ?? env.FHIR_URL ?? 'http://localhost:8080/fhir',
    register: values.register === true,
    tenant: values.tenant ?? 'default',
    from,
    to: from + length,
    speed,
    scenarios,
    format,
    maxInFlight: number('max-inflight', values['max-inflight'], 200, 1, true),
    quiet: values.quiet === true,
    help: values.help === true,
  };
}
