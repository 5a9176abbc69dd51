import { parseCliOptions, usage, UsageError, type CliOptions } from './cli-options.js';
import type { Publisher } from './publish.js';
import { registerPatients } from './register.js';
import { runSimulation } from './run.js';
import { describeEvent } from './scenarios.js';
import { createSimulation } from './simulation.js';
import { SummaryCollector } from './summary.js';
import { formatUtc } from './time.js';

export interface CommandDeps {
  argv: string[];
  env: Record<string, string | undefined>;
  now: () => number;
  out: (text: string) => void;
  err: (text: string) => void;
  fetch: typeof fetch;
  connect: (url: string, maxInFlight: number) => Promise<Publisher>;
  signal: AbortSignal;
}

/** The simulate command; returns the exit code. */
export async function runCommand(deps: CommandDeps): Promise<number> {
  let options: CliOptions;
  try {
    options = parseCliOptions(deps.argv, deps.env, deps.now());
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    deps.err(`${err.message}\n(see --help)\n`);
    return 2;
  }
  if (options.help) {
    deps.out(usage);
    return 0;
  }
  const log = (text: string) => options.quiet || deps.err(text + '\n');

  let sim;
  try {
    sim = createSimulation({ seed: options.seed, patients: options.patients, tenant: options.tenant, format: options.format, scenarios: options.scenarios, start: options.from });
  } catch (err) {
    deps.err(`${(err as Error).message}\n`);
    return 2;
  }
  for (const e of sim.events) {
    const outside = e.end <= options.from || e.start >= options.to;
    log(`scenario: ${describeEvent(e)}${outside ? ' (outside the simulated range: it will not show)' : ''}`);
  }

  if (options.register) {
    const count = await registerPatients(options.fhir, sim.patients, deps.fetch);
    log(`registered ${sim.patients.length} patients (${count} resources) at ${options.fhir}`);
  }

  const publisher = await deps.connect(options.mqtt, options.maxInFlight);
  const collector = new SummaryCollector(sim.seed, sim.tenant, sim.patients, sim.events);
  const mode = options.speed === undefined ? 'as fast as the broker accepts' : `at ${options.speed}x real time`;
  const until = Number.isFinite(options.to) ? formatUtc(options.to) : 'Ctrl-C';
  log(`publishing ${sim.patients.length} patients from ${formatUtc(options.from)} to ${until}, ${mode}, to ${options.mqtt}`);

  const started = deps.now();
  let simTime = options.from;
  const progress = options.quiet
    ? undefined
    : setInterval(() => {
        const s = collector.summary(options.from, simTime, deps.now() - started);
        log(`simulated ${formatUtc(simTime)}: ${s.messages} messages, ${s.readings} readings, ${s.messagesPerSecond ?? 0} msg/s, ${publisher.inFlight} awaiting ack`);
      }, 5000);
  let reached: number;
  try {
    reached = await runSimulation(sim, publisher, {
      from: options.from,
      to: options.to,
      speed: options.speed,
      signal: deps.signal,
      onMessage: (m) => {
        simTime = m.time;
        collector.add(m);
      },
    });
  } finally {
    if (progress) clearInterval(progress);
    await publisher.close();
  }
  deps.out(JSON.stringify(collector.summary(options.from, reached, deps.now() - started), null, 2) + '\n');
  return 0;
}
