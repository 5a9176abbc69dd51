/**
 * The device simulator as a library (the benchmark and tests use it; main.ts is the command):
 * createSimulation(...).messages(from, to) yields every MQTT message of N simulated patients
 * over a time range, in time order, without a broker.
 */
export { createSimulation, type Simulation, type SimulationOptions } from './simulation.js';
export type { SimMessage, StreamFormat } from './messages.js';
export type { SimReading } from './readings.js';
export { createPatients, type PatientProfile } from './patients.js';
export { parseScenario, resolveScenarios, scenarioKinds, type ScenarioEvent, type ScenarioKind, type ScenarioSpec } from './scenarios.js';
export { connectPublisher, publisherFor, type Publisher } from './publish.js';
export { runSimulation, type Clock, type RunOptions } from './run.js';
export { SummaryCollector, type EventReport, type RunSummary } from './summary.js';
export { registerPatients, registrationResources } from './register.js';
export { allMetrics, schemaVersions, type Metric } from './metrics.js';
